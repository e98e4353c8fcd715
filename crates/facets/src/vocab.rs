//! Closed vocabularies at the privacy boundary.
//!
//! Every string column of the facets table is one of three kinds ([`StrKind`]):
//!
//! - a **key**: a pseudonym made by a salted hash (`session_key`, `user_key`);
//! - a **label** from a fixed list (the rubric's spellings and value bands);
//! - a **pattern**: a value normalised into a fixed shape, anything else becoming `other`
//!   (`excluded_reason` one of [`EXCLUDED_REASONS`], `agent_version` is `N.N.N`, `model_family` one of [`MODEL_FAMILIES`], `permission_mode`
//!   one of [`PERMISSION_MODES`], model ids a grammar of known words and short numbers, …).
//!
//! [`string_kind`] is the declaration table: a column missing from it fails the test
//! `every_string_column_is_declared`, so a new string column cannot reach a shared file without
//! someone deciding which kind it is. [`normalise`] maps a value into its column's vocabulary;
//! the Parquet writer and reader apply it to every string cell, and [`close`] applies it to a
//! [`Facet`] in memory (the facet cache and `merge` store closed facets only).
//!
//! Adding a column: add a row to [`string_kind`] (a provenance column of a new label: add its
//! prefix to [`LABEL_PREFIXES`]). Adding an agent: agent names are slugs (`[a-z][a-z0-9-]*`,
//! at most 32 bytes), so a new adapter's name needs no change here.

use crate::parquet::{columns, ColumnSpec, Kind};
use crate::{
    CodebaseRelation, Expertise, Facet, Occupation, Outcome, Signal, UserProfile, ValueBand,
    WorkMode,
};
use std::sync::OnceLock;

/// What a value outside a column's vocabulary becomes.
pub const OTHER: &str = "other";

/// Model families (`model_family`), in match order: a family name found in a lowercased model id
/// names it; `gpt`, `o1`/`o3`/`o4`, `codex` ids are `gpt`; other `claude` ids are `claude`.
pub const MODEL_FAMILIES: &[&str] = &[
    "opus", "sonnet", "haiku", "claude", "gpt", "gemini", "gemma", "llama", "mistral", "qwen",
    "deepseek", "grok", "kimi", "glm", "phi", OTHER,
];

/// Permission modes (`permission_mode`): Claude Code's modes.
pub const PERMISSION_MODES: &[&str] = &[
    "default",
    "acceptEdits",
    "bypassPermissions",
    "plan",
    "dontAsk",
    "auto",
    OTHER,
];

/// Why a session is excluded from analyses (`excluded_reason`), as `Session` words them.
pub const EXCLUDED_REASONS: &[&str] = &["no human turns", "non-interactive entrypoint", OTHER];

/// The labels whose provenance columns (`<prefix>_backend`, `_model`, `_prompt_version`,
/// `_error`) are declared by this table.
pub const LABEL_PREFIXES: &[&str] = &[
    "work_mode",
    "codebase_relation",
    "decisions",
    "expertise",
    "user_profile",
    "work_performed",
    "outcome",
    "success_signal",
    "failure_signal",
    "task_value",
];

/// Words a model id may be made of (besides numbers and short alphanumeric tokens).
const MODEL_WORDS: &[&str] = &[
    "anthropic",
    "claude",
    "opus",
    "sonnet",
    "haiku",
    "instant",
    "openai",
    "gpt",
    "chatgpt",
    "codex",
    "turbo",
    "mini",
    "nano",
    "preview",
    "latest",
    "google",
    "gemini",
    "gemma",
    "flash",
    "lite",
    "pro",
    "ultra",
    "exp",
    "experimental",
    "thinking",
    "meta",
    "llama",
    "mistral",
    "mixtral",
    "codestral",
    "devstral",
    "magistral",
    "large",
    "medium",
    "small",
    "tiny",
    "qwen",
    "qwq",
    "coder",
    "deepseek",
    "reasoner",
    "chat",
    "instruct",
    "grok",
    "xai",
    "kimi",
    "moonshot",
    "moonshotai",
    "glm",
    "zai",
    "minimax",
    "phi",
    "vertex",
    "bedrock",
    "azure",
    "ollama",
    "openrouter",
    "groq",
    "together",
    "fireworks",
    "high",
    "low",
    "max",
    "plus",
    "fast",
    "code",
    "vision",
    "hf",
    "gguf",
    "free",
    "beta",
    "alpha",
    "base",
    "synthetic",
    "auto",
    "default",
    "local",
    "nemotron",
    "nvidia",
    "cohere",
    "command",
    "sonar",
    "perplexity",
    "ai",
    "models",
    "accounts",
    "copilot",
    "github",
    "oss",
    "open",
    "air",
];

/// The kind of a string column.
#[derive(Clone, Copy)]
pub enum StrKind {
    /// A pseudonym from a salted hash. Values outside `[A-Za-z0-9_-]{1,64}` are hashed again.
    Key,
    /// A label from a fixed list; the column's own parser rejects anything else on read.
    Label(fn(&str) -> bool),
    /// A value normalised into a fixed shape (`describe`); `normalise` is total.
    Pattern {
        describe: &'static str,
        normalise: fn(&str) -> String,
    },
}

/// The declaration of every string column of the facets table; `None` for a column that is
/// not a declared string column.
pub fn string_kind(column: &str) -> Option<StrKind> {
    use StrKind::*;
    let p = |describe, normalise| {
        Some(Pattern {
            describe,
            normalise,
        })
    };
    match column {
        "session_key" | "user_key" => Some(Key),
        "month" => p("YYYY-MM, else other", month),
        "agent" => p("slug [a-z][a-z0-9-]{0,31}, else other", agent),
        "agent_version" => p("N.N.N, else other", agent_version),
        "model_family" => p("one of MODEL_FAMILIES", model_family),
        "permission_mode" => p("one of PERMISSION_MODES", permission_mode),
        "models" => p("comma-joined model ids of known words and numbers", models),
        "excluded_reason" => p("one of EXCLUDED_REASONS", excluded_reason),
        "work_mode" => Some(Label(|s| WorkMode::parse(s).is_some())),
        "codebase_relation" => Some(Label(|s| CodebaseRelation::parse(s).is_some())),
        "expertise" => Some(Label(|s| Expertise::parse(s).is_some())),
        "user_profile" => Some(Label(|s| UserProfile::parse(s).is_some())),
        "work_performed" => Some(Label(|s| Occupation::parse(s).is_some())),
        "outcome" => Some(Label(|s| Outcome::parse(s).is_some())),
        "success_signal" | "failure_signal" => Some(Label(|s| Signal::parse(s).is_some())),
        "task_value_band" => Some(Label(|s| ValueBand::parse(s).is_some())),
        _ => {
            let suffix = LABEL_PREFIXES
                .iter()
                .find_map(|p| column.strip_prefix(p)?.strip_prefix('_'))?;
            match suffix {
                "backend" => p("slug [a-z][a-z0-9-]{0,31}, else other", agent),
                "model" => p(
                    "model id [A-Za-z0-9._:/@-]{1,64}, else other",
                    configured_model,
                ),
                "prompt_version" => p(
                    "versions [A-Za-z0-9._+|:-]{1,160}, else other",
                    prompt_version,
                ),
                "error" => p(
                    "our own message: printable ASCII, no secret-shaped token",
                    message,
                ),
                _ => None,
            }
        }
    }
}

/// `value` in `column`'s vocabulary. Keys outside their shape are re-hashed; patterns are
/// normalised; labels are returned unchanged (their parser validates them); an undeclared
/// column gives `other`.
pub fn normalise(column: &str, value: &str) -> String {
    match string_kind(column) {
        Some(StrKind::Key) => key(value),
        Some(StrKind::Label(_)) => value.to_string(),
        Some(StrKind::Pattern { normalise, .. }) => normalise(value),
        None => OTHER.to_string(),
    }
}

fn specs() -> &'static [ColumnSpec] {
    static SPECS: OnceLock<Vec<ColumnSpec>> = OnceLock::new();
    SPECS.get_or_init(columns)
}

/// Put every string field of `f` into its column's vocabulary (what the Parquet writer would
/// do), so in-memory facets, the facet cache and merged files hold closed values only.
pub fn close(f: &mut Facet) {
    for spec in specs() {
        if spec.kind != Kind::Str || spec.derived() {
            continue;
        }
        if let Some(s) = spec.get_str(f) {
            let n = normalise(spec.name, &s);
            if n != s {
                // The setters of key and pattern columns accept any string.
                let _ = spec.set_str(f, n);
            }
        }
    }
}

// ---- normalisers --------------------------------------------------------------------------

/// A key: kept if it has a key's shape, else replaced by a hash of it (so a forged file cannot
/// carry text in a key column, and distinct values stay distinct).
pub fn key(s: &str) -> String {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        s.to_string()
    } else {
        let h = blake3::hash(s.as_bytes());
        format!("h{}", &h.to_hex()[..32])
    }
}

fn month(s: &str) -> String {
    let b = s.as_bytes();
    let ok = b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(
            &s[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        );
    if ok {
        s.to_string()
    } else {
        OTHER.to_string()
    }
}

/// An agent or backend name: a lowercase slug, else `other`.
pub fn agent(s: &str) -> String {
    let b = s.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if ok {
        s.to_string()
    } else {
        OTHER.to_string()
    }
}

/// `N.N.N` (a leading `v` and any suffix after the third number dropped), else `other`.
pub fn agent_version(s: &str) -> String {
    let t = s.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let mut parts = Vec::with_capacity(3);
    let mut rest = t;
    for i in 0..3 {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 6 {
            return OTHER.to_string();
        }
        parts.push(&rest[..n]);
        rest = &rest[n..];
        if i < 2 {
            match rest.strip_prefix('.') {
                Some(r) => rest = r,
                None => return OTHER.to_string(),
            }
        }
    }
    // Whatever follows the third number must not continue it (`1.2.34x` is not `1.2.3`).
    if !(rest.is_empty() || rest.starts_with(['-', '+', '.', ' '])) {
        return OTHER.to_string();
    }
    parts.join(".")
}

/// Model family of a model id (or of a family name): one of [`MODEL_FAMILIES`].
pub fn model_family(model: &str) -> String {
    let m = model.to_ascii_lowercase();
    for f in [
        "opus", "sonnet", "haiku", "gemini", "gemma", "llama", "mistral", "qwen", "deepseek",
        "grok", "kimi", "glm",
    ] {
        if m.contains(f) {
            return f.to_string();
        }
    }
    let base = m.rsplit('/').next().unwrap_or(&m);
    let starts = |p: &str| base.starts_with(p);
    if starts("gpt") || starts("o1") || starts("o3") || starts("o4") || starts("codex") {
        return "gpt".into();
    }
    if starts("claude") {
        return "claude".into();
    }
    if starts("phi") {
        return "phi".into();
    }
    OTHER.into()
}

fn excluded_reason(s: &str) -> String {
    if EXCLUDED_REASONS.contains(&s) {
        s.to_string()
    } else {
        OTHER.to_string()
    }
}

/// A permission mode from [`PERMISSION_MODES`], else `other`.
pub fn permission_mode(s: &str) -> String {
    if PERMISSION_MODES.contains(&s) {
        s.to_string()
    } else {
        OTHER.to_string()
    }
}

/// A model id seen in a transcript, kept only when every token (split on `-._:/@`) is a known
/// word, a number of at most 8 digits, or an alphanumeric token of at most 4 characters; the id
/// is lowercased and at most 64 bytes. Anything else is `other`.
pub fn model_id(s: &str) -> String {
    let m = s.trim().to_ascii_lowercase();
    if m.is_empty() || m.len() > 64 || m == "<synthetic>" {
        return OTHER.to_string();
    }
    let mut tokens = 0;
    for tok in m.split(['-', '.', '_', ':', '/', '@']) {
        tokens += 1;
        let ok = tok.is_empty()
            || (tok.len() <= 8 && tok.bytes().all(|b| b.is_ascii_digit()))
            || (tok.len() <= 4 && tok.bytes().all(|b| b.is_ascii_alphanumeric()))
            || MODEL_WORDS.contains(&tok)
            // a known word with a short suffix: `qwen3`, `llama3`, `gpt4o`
            || MODEL_WORDS.iter().any(|w| {
                tok.strip_prefix(w).is_some_and(|r| {
                    r.len() <= 3 && r.bytes().all(|b| b.is_ascii_alphanumeric())
                })
            });
        if !ok || tokens > 12 {
            return OTHER.to_string();
        }
    }
    m
}

/// The `models` column: distinct model ids, each through [`model_id`], comma-joined and sorted.
fn models(s: &str) -> String {
    let mut ids: Vec<String> = s
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(model_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids.join(",")
}

/// A model id from configuration (LLM provenance), or the heuristic's rule-set id.
fn configured_model(s: &str) -> String {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:/@".contains(&b))
        && !secret_shaped(s);
    if ok {
        s.to_string()
    } else {
        OTHER.to_string()
    }
}

/// A prompt or rule-set version: the LLM backends join several
/// (`job_posting.v1+preamble.v1|price.v1+…`), so `+`, `|` and `:` are allowed too.
fn prompt_version(s: &str) -> String {
    let ok = !s.is_empty()
        && s.len() <= 160
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_+|:".contains(&b))
        && !s.split(['+', '|']).any(secret_shaped);
    if ok {
        s.to_string()
    } else {
        OTHER.to_string()
    }
}

/// A label error (our own words): printable ASCII, at most 160 bytes, and every
/// secret-shaped token (long, mixing letters and digits) replaced by `…`.
fn message(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(160));
    for (i, tok) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let clean: String = tok
            .chars()
            .map(|c| if c.is_ascii_graphic() { c } else { '?' })
            .collect();
        if secret_shaped(&clean) {
            out.push('…');
        } else {
            out.push_str(&clean);
        }
        if out.len() >= 160 {
            out.truncate(157);
            out.push_str("...");
            break;
        }
    }
    out
}

/// A token that looks like a key, hash or encoded blob: 16+ bytes of word characters with at
/// least one digit and one letter, or any run of 33+ bytes without a space.
fn secret_shaped(tok: &str) -> bool {
    if tok.len() > 32 {
        return true;
    }
    tok.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '+' || c == '='))
        .any(|w| {
            w.len() >= 16
                && w.bytes().any(|b| b.is_ascii_digit())
                && w.bytes().any(|b| b.is_ascii_alphabetic())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_column_is_declared() {
        let undeclared: Vec<&str> = columns()
            .iter()
            .filter(|c| c.kind == Kind::Str && string_kind(c.name).is_none())
            .map(|c| c.name)
            .collect();
        assert!(
            undeclared.is_empty(),
            "string columns not declared as a key, a label or a pattern in \
             facets::vocab::string_kind: {undeclared:?}"
        );
        // And the table names no column that does not exist (or is not a string).
        for name in ["session_key", "user_key", "month", "agent", "agent_version"] {
            let c = columns().into_iter().find(|c| c.name == name).unwrap();
            assert_eq!(c.kind, Kind::Str, "{name}");
        }
        for p in LABEL_PREFIXES {
            for s in ["backend", "model", "prompt_version", "error"] {
                let name = format!("{p}_{s}");
                assert!(
                    columns()
                        .iter()
                        .any(|c| c.name == name && c.kind == Kind::Str),
                    "declared {name} is not a string column"
                );
            }
        }
    }

    #[test]
    fn label_kinds_accept_exactly_their_lists() {
        let Some(StrKind::Label(ok)) = string_kind("work_mode") else {
            panic!("work_mode is a label")
        };
        assert!(ok("Build"));
        assert!(!ok("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(
            normalise("excluded_reason", "no human turns"),
            "no human turns"
        );
        assert_eq!(
            normalise("excluded_reason", "my password is hunter2"),
            OTHER
        );
    }

    #[test]
    fn versions_are_n_n_n_or_other() {
        assert_eq!(agent_version("2.0.14"), "2.0.14");
        assert_eq!(agent_version("v0.86.1"), "0.86.1");
        assert_eq!(agent_version("0.86.2.dev15+g1234"), "0.86.2");
        assert_eq!(agent_version("1.0.3-beta"), "1.0.3");
        assert_eq!(agent_version("1.2"), OTHER);
        assert_eq!(agent_version("1.2.3AKIAIOSFODNN7EXAMPLE"), OTHER);
        assert_eq!(agent_version("AKIAIOSFODNN7EXAMPLE"), OTHER);
        assert_eq!(agent_version(""), OTHER);
        assert_eq!(agent_version("1.2.3456789"), OTHER);
    }

    #[test]
    fn model_ids_keep_known_shapes_only() {
        for ok in [
            "claude-opus-4-5-20251101",
            "claude-3-5-sonnet-20241022",
            "gpt-4o-mini",
            "o3",
            "gemini-2.5-pro",
            "anthropic/claude-sonnet-4",
            "openrouter/qwen/qwen3-coder:free",
            "gpt-5-codex",
            "llama3.1:8b",
            "deepseek-r1:14b",
        ] {
            assert_eq!(model_id(ok), ok, "{ok}");
        }
        assert_eq!(model_id("Claude-Opus-4"), "claude-opus-4");
        for bad in [
            "AKIAIOSFODNN7EXAMPLE",
            "claude-akiaiosfodnn7example",
            "gpt-4 my secret project",
            "sk-ant-api03-abcdefghijklmnop",
            "john.smith@example.com",
            "<synthetic>",
        ] {
            assert_eq!(model_id(bad), OTHER, "{bad}");
        }
        assert_eq!(
            models("gpt-4o, AKIAIOSFODNN7EXAMPLE,gpt-4o"),
            "gpt-4o,other"
        );
    }

    #[test]
    fn families_modes_and_keys_are_closed() {
        assert_eq!(model_family("claude-opus-4-1"), "opus");
        assert_eq!(model_family("gpt-4o-mini"), "gpt");
        assert_eq!(model_family("AKIAIOSFODNN7EXAMPLE"), OTHER);
        assert_eq!(model_family("anthropic/claude-3"), "claude");
        for f in MODEL_FAMILIES {
            assert_eq!(model_family(f), *f, "a family is its own family");
        }
        assert_eq!(permission_mode("acceptEdits"), "acceptEdits");
        assert_eq!(permission_mode("hunter2"), OTHER);
        assert_eq!(
            key("0123456789abcdef0123456789abcdef"),
            "0123456789abcdef0123456789abcdef"
        );
        let k = key("alice@example.com");
        assert!(k.starts_with('h') && k.len() == 33 && !k.contains("alice"));
        assert_eq!(month("2026-12"), "2026-12");
        assert_eq!(month("2026-13"), OTHER);
        assert_eq!(agent("claude-code"), "claude-code");
        assert_eq!(agent("Claude Code AKIA"), OTHER);
    }

    #[test]
    fn provenance_of_every_backend_survives() {
        for (col, v) in [
            (
                "task_value_prompt_version",
                "job_posting.v1+preamble.v1|price.v1+calibration.v2+preamble.v1",
            ),
            ("work_mode_prompt_version", "work_mode.v1+preamble.v1"),
            ("outcome_prompt_version", "heuristic-2026.11-3"),
            ("outcome_backend", "anthropic-batch"),
            ("outcome_model", "claude-sonnet-4-5-20250929"),
            ("outcome_model", "gpt-4.1-mini"),
            ("outcome_model", "qwen2.5-coder:32b"),
            (
                "outcome_error",
                "anthropic: HTTP 400 invalid_request_error after 1 attempt(s)",
            ),
            (
                "outcome_error",
                "invalid answer twice: label is not one of the allowed options",
            ),
        ] {
            assert_eq!(normalise(col, v), v, "{col}");
        }
    }

    #[test]
    fn messages_lose_secret_shaped_tokens() {
        assert_eq!(
            message("invalid answer twice: label is not one of the allowed options"),
            "invalid answer twice: label is not one of the allowed options"
        );
        let m = message("openai: HTTP 401 sk-proj-abcdef1234567890abcdef");
        assert!(!m.contains("abcdef1234567890"), "{m}");
        assert!(message(&"x".repeat(500)).len() <= 160);
    }
}
