//! The offline heuristic backend: deterministic rules over the session and its telemetry.
//!
//! It needs no API key and no network, and explains itself: every label comes with the
//! observations that produced it. The default learned classifier (`agentstat-learn`) keeps its
//! labels where its model did not validate better. The rules follow the rubric's definitions
//! (`rubric.md` §3); docs/HEURISTIC.md describes them and docs/VALIDATION.md their agreement
//! with careful reference labels.
//!
//! Cost: one linear pass over the events ([`features::extract`]), each prompt scanned for cues
//! up to [`text::SCAN_CAP`] bytes, tool outputs never scanned beyond a few fixed markers.

pub mod features;
pub mod rules;
pub mod text;

use crate::{Backend, ClassifyError, Evidence, SessionInput};
use agentstat_facets::{Label, Labels, Provenance};

/// Version of the rule set; part of every label's provenance. Bump on any rule change.
pub const RULES_VERSION: &str = "heuristic-2026.12-1";

/// The deterministic, offline classifier.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeuristicBackend;

impl HeuristicBackend {
    pub fn new() -> Self {
        HeuristicBackend
    }

    fn provenance() -> Provenance {
        Provenance {
            backend: "heuristic".into(),
            model: "heuristic".into(),
            prompt_version: RULES_VERSION.into(),
        }
    }

    /// Classify and collect evidence; `classify` drops the evidence.
    fn run(&self, input: &SessionInput) -> (Labels, Vec<Evidence>) {
        Self::run_on(&features::extract(input.session), input.telemetry)
    }

    /// The rules over features already extracted (the learned classifier reads the same
    /// features and the rules' labels, so it extracts them once).
    pub fn run_on(
        f: &features::Features,
        t: &agentstat_facets::Telemetry,
    ) -> (Labels, Vec<Evidence>) {
        let mut ev = Vec::new();
        let mut note = |facet: &str, notes: Vec<String>| {
            for n in notes {
                ev.push(Evidence {
                    facet: facet.to_string(),
                    note: n,
                });
            }
        };
        let p = Self::provenance;
        let (mode, n) = rules::work_mode(f, t);
        note("work_mode", n);
        let (rel, n) = rules::codebase_relation(f);
        note("codebase_relation", n);
        let (dec, n) = rules::decisions(f);
        note("decisions", n);
        let (exp, n) = rules::expertise(f);
        note("expertise", n);
        let (prof, n) = rules::user_profile(f);
        note("user_profile", n);
        let (work, n) = rules::work_performed(f, mode);
        note("work_performed", n);
        let (fail, fail_hard, n) = rules::failure_signal(f);
        let (succ, n2) = rules::success_signal(f, fail_hard, mode);
        note("success_signal", n2);
        note("failure_signal", n);
        let (out, n) = rules::outcome(f, mode, succ, fail);
        note("outcome", n);
        let (val, n) = rules::task_value(f, t, mode);
        note("task_value", n);
        let labels = Labels {
            work_mode: Label::ok(mode, p()),
            codebase_relation: Label::ok(rel, p()),
            decisions: Label::ok(dec, p()),
            expertise: Label::ok(exp, p()),
            user_profile: Label::ok(prof, p()),
            work_performed: Label::ok(work, p()),
            outcome: Label::ok(out, p()),
            success_signal: Label::ok(succ, p()),
            failure_signal: Label::ok(fail, p()),
            task_value: Label::ok(val, p()),
        };
        (labels, ev)
    }
}

impl Backend for HeuristicBackend {
    fn name(&self) -> &str {
        "heuristic"
    }

    fn classify(&self, input: &SessionInput) -> Result<Labels, ClassifyError> {
        Ok(self.run(input).0)
    }

    fn explain(&self, input: &SessionInput) -> Result<(Labels, Vec<Evidence>), ClassifyError> {
        Ok(self.run(input))
    }

    fn classify_extracted(
        &self,
        input: &SessionInput,
        f: &features::Features,
    ) -> Result<Labels, ClassifyError> {
        Ok(Self::run_on(f, input.telemetry).0)
    }
}
