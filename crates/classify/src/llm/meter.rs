//! Counters of an LLM backend's work, read by a long run's progress line (calls made, answers
//! from the cache, tokens, failures). Shared by the requests in flight; nothing in it is
//! transcript text.

use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Meter {
    calls: AtomicU64,
    cached: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    errors: AtomicU64,
}

/// A snapshot of a [`Meter`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Calls answered by the server (2xx), retries of invalid answers included.
    pub calls: u64,
    /// Calls answered from the persistent cache (no request sent).
    pub cached: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Calls that failed after their retries (recorded on the label, not cached).
    pub errors: u64,
}

/// The `usage` block of either wire format's reply.
#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Usage {
    // Anthropic Messages.
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    // OpenAI chat completions.
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

impl Meter {
    /// A 2xx reply: one call, and its tokens when the reply says.
    pub fn reply(&self, body: &str) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if let Ok(Reply { usage: Some(u) }) = serde_json::from_str::<Reply>(body) {
            let input = u.input_tokens
                + u.cache_read_input_tokens
                + u.cache_creation_input_tokens
                + u.prompt_tokens;
            self.input_tokens.fetch_add(input, Ordering::Relaxed);
            self.output_tokens
                .fetch_add(u.output_tokens + u.completion_tokens, Ordering::Relaxed);
        }
    }

    pub fn cache_hit(&self) {
        self.cached.fetch_add(1, Ordering::Relaxed);
    }

    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> Counts {
        Counts {
            calls: self.calls.load(Ordering::Relaxed),
            cached: self.cached.load(Ordering::Relaxed),
            input_tokens: self.input_tokens.load(Ordering::Relaxed),
            output_tokens: self.output_tokens.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_both_wire_formats_usage() {
        let m = Meter::default();
        m.reply(r#"{"content":[],"usage":{"input_tokens":10,"cache_read_input_tokens":90,"output_tokens":5}}"#);
        m.reply(r#"{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}"#);
        m.reply("not json");
        m.cache_hit();
        m.error();
        assert_eq!(
            m.counts(),
            Counts {
                calls: 3,
                cached: 1,
                input_tokens: 107,
                output_tokens: 8,
                errors: 1
            }
        );
    }
}
