//! Diagnostics: what was read, what was skipped and why. Mergeable across threads.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Warnings kept verbatim per `Diagnostics`; beyond this only the counts grow, so a
/// pathological corpus cannot exhaust memory through its warnings.
pub const MAX_WARNINGS_KEPT: usize = 1000;

/// One problem with the input, located as precisely as we can (never transcript text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub file: String,
    /// 1-based line number, when the problem is tied to a line.
    pub line: Option<u64>,
    /// Short machine reason (the same key as in `skipped` / `recovered`).
    pub reason: String,
    /// Human-readable detail (parser message, OS error); never record content.
    pub detail: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}: {}", self.file, l, self.reason, self.detail),
            None => write!(f, "{}: {}: {}", self.file, self.reason, self.detail),
        }
    }
}

/// Counts of everything the reader saw. `skipped` is data lost (unexplained until a human
/// reads the warning); `recovered` is damage repaired without loss of the record;
/// `ignored` is records read and deliberately not used (explained, by record type).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnostics {
    pub files: u64,
    pub lines: u64,
    pub bytes: u64,
    /// JSON records successfully parsed.
    pub records: u64,
    pub sessions: u64,
    pub skipped: BTreeMap<String, u64>,
    pub recovered: BTreeMap<String, u64>,
    pub ignored: BTreeMap<String, u64>,
    /// The first [`MAX_WARNINGS_KEPT`] warnings.
    pub warnings: Vec<Warning>,
    /// All warnings, including those not kept.
    pub warnings_total: u64,
}

impl Diagnostics {
    pub fn warn(&mut self, file: &str, line: Option<u64>, reason: &str, detail: impl Into<String>) {
        self.warnings_total += 1;
        if self.warnings.len() < MAX_WARNINGS_KEPT {
            self.warnings.push(Warning {
                file: file.to_string(),
                line,
                reason: reason.to_string(),
                detail: detail.into(),
            });
        }
    }

    /// Count a lost line/record/file and warn about it.
    pub fn skip(&mut self, file: &str, line: Option<u64>, reason: &str, detail: impl Into<String>) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
        self.warn(file, line, reason, detail);
    }

    /// Count repaired damage and warn about it.
    pub fn recover(
        &mut self,
        file: &str,
        line: Option<u64>,
        reason: &str,
        detail: impl Into<String>,
    ) {
        *self.recovered.entry(reason.to_string()).or_default() += 1;
        self.warn(file, line, reason, detail);
    }

    pub fn ignore(&mut self, reason: &str, n: u64) {
        if n > 0 {
            *self.ignored.entry(reason.to_string()).or_default() += n;
        }
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Fold another thread's diagnostics into this one.
    pub fn merge(&mut self, other: Diagnostics) {
        self.files += other.files;
        self.lines += other.lines;
        self.bytes += other.bytes;
        self.records += other.records;
        self.sessions += other.sessions;
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        for (k, v) in other.recovered {
            *self.recovered.entry(k).or_default() += v;
        }
        for (k, v) in other.ignored {
            *self.ignored.entry(k).or_default() += v;
        }
        self.warnings_total += other.warnings_total;
        let room = MAX_WARNINGS_KEPT.saturating_sub(self.warnings.len());
        self.warnings.extend(other.warnings.into_iter().take(room));
    }
}
