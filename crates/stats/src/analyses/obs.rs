//! One interactive session with the labels the analyses need unpacked ([`Obs`]), and the
//! record of which sessions each regression counted ([`Fits`]).

use super::prelude::*;

/// One interactive session, with the labels the analyses need unpacked.
pub(crate) struct Obs<'a> {
    pub(crate) f: &'a Facet,
    /// Position in the analysis' observation list (fit samples are recorded by it).
    pub(crate) idx: usize,
    /// Dense user code (cluster variable).
    pub(crate) user: u32,
    pub(crate) d: Derived,
    pub(crate) mode: Option<WorkMode>,
    pub(crate) relation: Option<CodebaseRelation>,
    pub(crate) decisions: Option<Decisions>,
    /// Expertise 1–5; `None` for Unclear or missing.
    pub(crate) level: Option<u8>,
    pub(crate) profile: Option<UserProfile>,
    pub(crate) performed: Option<Occupation>,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) succ: Option<u8>,
    pub(crate) fail: Option<u8>,
    pub(crate) value: Option<TaskValue>,
    /// Row of the by-agent tables (see [`AgentRows`]); `None` when there is no such table.
    pub(crate) agent: Option<usize>,
}

impl<'a> Obs<'a> {
    pub(crate) fn new(f: &'a Facet, user: u32, idx: usize) -> Obs<'a> {
        let l = f.labels.as_ref();
        Obs {
            f,
            idx,
            user,
            d: f.derived(),
            mode: l.and_then(|l| l.work_mode.value),
            relation: l.and_then(|l| l.codebase_relation.value),
            decisions: l.and_then(|l| l.decisions.value),
            level: l.and_then(|l| l.expertise.value).and_then(Expertise::level),
            profile: l.and_then(|l| l.user_profile.value),
            performed: l.and_then(|l| l.work_performed.value),
            outcome: l.and_then(|l| l.outcome.value),
            succ: l.and_then(|l| l.success_signal.value).map(|s| s.level()),
            fail: l.and_then(|l| l.failure_signal.value).map(|s| s.level()),
            value: l
                .and_then(|l| l.task_value.value)
                .filter(|v| v.usd.is_finite() && v.usd > 0.0),
            agent: None,
        }
    }
    pub(crate) fn band(&self) -> Option<ValueBand> {
        self.value.map(|v| v.band)
    }
    pub(crate) fn month(&self) -> Option<&str> {
        self.f.telemetry.month.as_deref()
    }
    pub(crate) fn in_success_sample(&self) -> bool {
        self.d.in_success_sample
    }
}

/// Which observations each regression counted (its estimation sample, or the rows its
/// stand-in cells count when it could not be fitted), by name: the cross-table suppression
/// needs the exact session sets behind regression cells.
pub(crate) struct Fits {
    pub(crate) n: usize,
    pub(crate) samples: HashMap<String, Vec<bool>>,
}

impl Fits {
    pub(crate) fn new(n: usize) -> Fits {
        Fits {
            n,
            samples: HashMap::new(),
        }
    }
    pub(crate) fn record(&mut self, name: &str, rows: &[&Obs]) {
        let mut v = vec![false; self.n];
        for o in rows {
            v[o.idx] = true;
        }
        self.samples.insert(name.to_string(), v);
    }
    pub(crate) fn record_fit(&mut self, name: &str, fit: &Fit, rows: &[&Obs]) {
        let mut v = vec![false; self.n];
        for &i in &fit.sample {
            v[rows[i].idx] = true;
        }
        self.samples.insert(name.to_string(), v);
    }
    /// Whether observation `o` is in the named sample (`false` if none was recorded).
    pub(crate) fn has(&self, name: &str, o: &Obs) -> bool {
        self.samples.get(name).is_some_and(|v| v[o.idx])
    }
}
