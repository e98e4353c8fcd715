//! What labelling with an LLM backend would cost, computed without calling anything
//! (`agentstat extract --classifier anthropic|openai --estimate`).
//!
//! Per interactive session the backend makes the ten transcript calls (work mode, codebase
//! relation, decisions, expertise, user profile, work performed, outcome, two signals, job
//! posting) over the same rendering, then one pricing call. Input is counted from the exact
//! prompt text a call would send ([`Job::input_chars`]); tokens are estimated at
//! [`CHARS_PER_TOKEN`] characters per token. Output tokens are typical answer sizes
//! ([`typical_output_tokens`]), not the `max_tokens` caps.
//!
//! Prompt caching: the rendering is the calls' shared prefix. On Anthropic it is marked
//! `cache_control`, so the first call writes it (cache-write price) and the next nine read it
//! (cache-read price); OpenAI caches prefixes of 1,024+ tokens automatically (cached-input
//! price, no write surcharge). The pricing call shares no prefix. Batches (Anthropic) halve
//! every price. Default prices are list prices per million tokens, dated [`PRICES_DATED`];
//! every price can be overridden.

use super::spec::{Classifier, Job};
use agentstat_session::Session;
use serde::Serialize;

/// Characters per token assumed for English prose mixed with code.
pub const CHARS_PER_TOKEN: f64 = 3.5;
/// When the default prices were last checked against the providers' price lists.
pub const PRICES_DATED: &str = "2025-11-01";
/// A job posting is about this long (the pricing call's input besides its calibration prompt).
const POSTING_CHARS: usize = 1_200;

/// Prices in dollars per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prices {
    pub model: String,
    pub input: f64,
    pub output: f64,
    /// Writing a prefix to the cache (Anthropic: 1.25 × input; OpenAI: no surcharge).
    pub cache_write: f64,
    /// Reading a cached prefix (Anthropic: 0.1 × input; OpenAI: the cached-input price).
    pub cache_read: f64,
    /// Multiplier for batch requests (Anthropic Message Batches: 0.5).
    pub batch_factor: f64,
    pub dated: String,
}

/// Which provider's caching rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Anthropic,
    OpenAi,
}

/// Default list prices for a model (by family); `None` for a model we have no price for.
pub fn default_prices(provider: Provider, model: &str) -> Option<Prices> {
    let m = model.to_ascii_lowercase();
    let (input, output) = match provider {
        Provider::Anthropic if m.contains("haiku") => (1.0, 5.0),
        Provider::Anthropic if m.contains("opus-4-5") || m.contains("opus-4.5") => (5.0, 25.0),
        Provider::Anthropic if m.contains("opus") => (15.0, 75.0),
        Provider::Anthropic if m.contains("sonnet") => (3.0, 15.0),
        Provider::OpenAi if m.contains("gpt-4.1-nano") => (0.10, 0.40),
        Provider::OpenAi if m.contains("gpt-4.1-mini") => (0.40, 1.60),
        Provider::OpenAi if m.contains("gpt-4.1") => (2.0, 8.0),
        Provider::OpenAi if m.contains("gpt-4o-mini") => (0.15, 0.60),
        Provider::OpenAi if m.contains("gpt-4o") => (2.5, 10.0),
        _ => return None,
    };
    let (cache_write, cache_read, batch_factor) = match provider {
        Provider::Anthropic => (input * 1.25, input * 0.1, 0.5),
        // gpt-4.1 family: cached input at 25% of input; gpt-4o family at 50%.
        Provider::OpenAi if m.contains("4o") => (input, input * 0.5, 0.5),
        Provider::OpenAi => (input, input * 0.25, 0.5),
    };
    Some(Prices {
        model: model.to_string(),
        input,
        output,
        cache_write,
        cache_read,
        batch_factor,
        dated: PRICES_DATED.to_string(),
    })
}

/// Typical output tokens of one answer (a short reasoning and the label or counts).
pub fn typical_output_tokens(c: Classifier) -> u64 {
    match c {
        Classifier::Decisions => 400,
        Classifier::JobPosting => 250,
        Classifier::Price => 80,
        _ => 120,
    }
}

/// Token counts for a set of sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub sessions: u64,
    pub calls: u64,
    /// Input tokens billed at the plain input price.
    pub input_tokens: u64,
    /// Input tokens written to / read from the prompt cache.
    pub cache_write_tokens: u64,
    pub cache_read_tokens: u64,
    pub output_tokens: u64,
}

fn tokens(chars: usize) -> u64 {
    (chars as f64 / CHARS_PER_TOKEN).ceil() as u64
}

impl Estimate {
    /// Add one interactive session's calls, as the backend would make them for `model`.
    pub fn add_session(&mut self, session: &Session, model: &str, provider: Provider) {
        let rendering = crate::render::render_session(session);
        self.add_rendering(&rendering, model, provider);
    }

    /// Add the calls over one rendering.
    pub fn add_rendering(&mut self, rendering: &str, model: &str, provider: Provider) {
        self.sessions += 1;
        let mut first = true;
        for c in Classifier::TRANSCRIPT {
            let job = Job::transcript(c, rendering, model);
            let total = tokens(job.input_chars());
            let prefix = tokens(job.context.chars().count()).min(total);
            // OpenAI caches only prefixes of at least 1,024 tokens.
            let cacheable = provider == Provider::Anthropic || prefix >= 1024;
            if cacheable && first {
                self.cache_write_tokens += prefix;
                self.input_tokens += total - prefix;
            } else if cacheable {
                self.cache_read_tokens += prefix;
                self.input_tokens += total - prefix;
            } else {
                self.input_tokens += total;
            }
            first = false;
            self.calls += 1;
            self.output_tokens += typical_output_tokens(c);
        }
        let price = Job::price(&"x".repeat(POSTING_CHARS), model);
        self.input_tokens += tokens(price.input_chars());
        self.output_tokens += typical_output_tokens(Classifier::Price);
        self.calls += 1;
    }

    /// Dollars at `p`, with or without batch pricing.
    pub fn usd(&self, p: &Prices, batch: bool) -> f64 {
        let per = |t: u64, price: f64| t as f64 * price / 1e6;
        let total = per(self.input_tokens, p.input)
            + per(self.cache_write_tokens, p.cache_write)
            + per(self.cache_read_tokens, p.cache_read)
            + per(self.output_tokens, p.output);
        if batch {
            total * p.batch_factor
        } else {
            total
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caching_and_batches_are_accounted() {
        let rendering = "word ".repeat(8_000); // 40,000 chars ≈ 11,429 tokens
        let mut a = Estimate::default();
        a.add_rendering(&rendering, "claude-sonnet-4-5", Provider::Anthropic);
        assert_eq!(a.sessions, 1);
        assert_eq!(a.calls, 11);
        let ctx = tokens(
            Job::transcript(Classifier::WorkMode, &rendering, "m")
                .context
                .chars()
                .count(),
        );
        assert_eq!(a.cache_write_tokens, ctx, "written once");
        assert_eq!(a.cache_read_tokens, 9 * ctx, "read by the nine other calls");
        let p = default_prices(Provider::Anthropic, "claude-sonnet-4-5").unwrap();
        let full = a.usd(&p, false);
        assert!((a.usd(&p, true) - full / 2.0).abs() < 1e-12);
        // Without caching the same calls would cost more.
        let uncached = (a.input_tokens + a.cache_write_tokens + a.cache_read_tokens) as f64 * 3.0
            / 1e6
            + a.output_tokens as f64 * 15.0 / 1e6;
        assert!(full < uncached * 0.5, "{full} vs {uncached}");

        // OpenAI: a short rendering is below the 1,024-token cache minimum.
        let mut o = Estimate::default();
        o.add_rendering("short", "gpt-4.1-mini", Provider::OpenAi);
        assert_eq!(o.cache_read_tokens + o.cache_write_tokens, 0);
        assert!(default_prices(Provider::OpenAi, "my-local-model").is_none());
    }
}
