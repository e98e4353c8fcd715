//! The facets the learned classifier predicts: their classes (the rubric's spellings, in the
//! order of `agentstat_facets`'s enums), which are ordinal, and how a class is read from and
//! written into [`Labels`].
//!
//! Decision attribution (counts) and the dollar estimate are not learned: the heuristic's
//! stay, except that a learned value band moves the estimate into its band.

use agentstat_facets::{
    CodebaseRelation, Expertise, Label, Labels, Occupation, Outcome, Provenance, Signal, TaskValue,
    UserProfile, ValueBand, WorkMode,
};

/// One learned facet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LearnedFacet {
    WorkMode,
    CodebaseRelation,
    Expertise,
    UserProfile,
    WorkPerformed,
    Outcome,
    SuccessSignal,
    FailureSignal,
    ValueBand,
}

impl LearnedFacet {
    pub const ALL: [LearnedFacet; 9] = [
        LearnedFacet::WorkMode,
        LearnedFacet::CodebaseRelation,
        LearnedFacet::Expertise,
        LearnedFacet::UserProfile,
        LearnedFacet::WorkPerformed,
        LearnedFacet::Outcome,
        LearnedFacet::SuccessSignal,
        LearnedFacet::FailureSignal,
        LearnedFacet::ValueBand,
    ];

    /// The field name in label files and facets (`value_band` is the facets'
    /// `task_value_band`).
    pub fn name(self) -> &'static str {
        match self {
            LearnedFacet::WorkMode => "work_mode",
            LearnedFacet::CodebaseRelation => "codebase_relation",
            LearnedFacet::Expertise => "expertise",
            LearnedFacet::UserProfile => "user_profile",
            LearnedFacet::WorkPerformed => "work_performed",
            LearnedFacet::Outcome => "outcome",
            LearnedFacet::SuccessSignal => "success_signal",
            LearnedFacet::FailureSignal => "failure_signal",
            LearnedFacet::ValueBand => "value_band",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn by_name(name: &str) -> Option<LearnedFacet> {
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The classes, in the label enum's order (the class index used everywhere here).
    pub fn classes(self) -> Vec<&'static str> {
        match self {
            LearnedFacet::WorkMode => WorkMode::ALL.iter().map(|x| x.as_str()).collect(),
            LearnedFacet::CodebaseRelation => {
                CodebaseRelation::ALL.iter().map(|x| x.as_str()).collect()
            }
            LearnedFacet::Expertise => Expertise::ALL.iter().map(|x| x.as_str()).collect(),
            LearnedFacet::UserProfile => Occupation::ALL
                .iter()
                .map(|x| x.as_str())
                .chain(["Unclear"])
                .collect(),
            LearnedFacet::WorkPerformed => Occupation::ALL.iter().map(|x| x.as_str()).collect(),
            LearnedFacet::Outcome => Outcome::ALL.iter().map(|x| x.as_str()).collect(),
            LearnedFacet::SuccessSignal | LearnedFacet::FailureSignal => {
                Signal::ALL.iter().map(|x| x.as_str()).collect()
            }
            LearnedFacet::ValueBand => ValueBand::ALL.iter().map(|x| x.as_str()).collect(),
        }
    }

    /// Whether the facet is a scale (expertise 1–5, signals 0–5): within-one agreement is
    /// reported and ordinal models are tried.
    pub fn ordinal(self) -> bool {
        matches!(
            self,
            LearnedFacet::Expertise | LearnedFacet::SuccessSignal | LearnedFacet::FailureSignal
        )
    }

    /// The level of a class on the facet's scale; `None` for Unclear and for nominal facets.
    pub fn level(self, class: usize) -> Option<i32> {
        match self {
            LearnedFacet::Expertise => Expertise::ALL
                .get(class)
                .and_then(|e| e.level())
                .map(i32::from),
            LearnedFacet::SuccessSignal | LearnedFacet::FailureSignal => {
                (class < Signal::ALL.len()).then_some(class as i32)
            }
            _ => None,
        }
    }

    /// Parse a label value (the rubric's spelling; the scales also as integers).
    pub fn parse(self, v: &serde_json::Value) -> Option<usize> {
        let s = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) if self.ordinal() => n.to_string(),
            _ => return None,
        };
        self.parse_str(&s)
    }

    pub fn parse_str(self, s: &str) -> Option<usize> {
        match self {
            LearnedFacet::WorkMode => WorkMode::parse(s).map(WorkMode::index),
            LearnedFacet::CodebaseRelation => {
                CodebaseRelation::parse(s).map(CodebaseRelation::index)
            }
            LearnedFacet::Expertise => Expertise::parse(s).map(Expertise::index),
            LearnedFacet::UserProfile => UserProfile::parse(s).map(|u| match u {
                UserProfile::Group(o) => o.index(),
                UserProfile::Unclear => Occupation::ALL.len(),
            }),
            LearnedFacet::WorkPerformed => Occupation::parse(s).map(Occupation::index),
            LearnedFacet::Outcome => Outcome::parse(s).map(Outcome::index),
            LearnedFacet::SuccessSignal | LearnedFacet::FailureSignal => {
                Signal::parse(s).map(Signal::index)
            }
            LearnedFacet::ValueBand => ValueBand::parse(s).map(ValueBand::index),
        }
    }

    /// The class a set of labels holds for this facet, if any.
    pub fn of_labels(self, l: &Labels) -> Option<usize> {
        match self {
            LearnedFacet::WorkMode => l.work_mode.value.map(WorkMode::index),
            LearnedFacet::CodebaseRelation => {
                l.codebase_relation.value.map(CodebaseRelation::index)
            }
            LearnedFacet::Expertise => l.expertise.value.map(Expertise::index),
            LearnedFacet::UserProfile => l.user_profile.value.map(|u| match u {
                UserProfile::Group(o) => o.index(),
                UserProfile::Unclear => Occupation::ALL.len(),
            }),
            LearnedFacet::WorkPerformed => l.work_performed.value.map(Occupation::index),
            LearnedFacet::Outcome => l.outcome.value.map(Outcome::index),
            LearnedFacet::SuccessSignal => l.success_signal.value.map(Signal::index),
            LearnedFacet::FailureSignal => l.failure_signal.value.map(Signal::index),
            LearnedFacet::ValueBand => l.task_value.value.map(|t| t.band.index()),
        }
    }

    /// The provenance and confidence of this facet's label.
    pub fn meta(self, l: &Labels) -> (&Provenance, Option<f64>) {
        match self {
            LearnedFacet::WorkMode => (&l.work_mode.provenance, l.work_mode.confidence),
            LearnedFacet::CodebaseRelation => (
                &l.codebase_relation.provenance,
                l.codebase_relation.confidence,
            ),
            LearnedFacet::Expertise => (&l.expertise.provenance, l.expertise.confidence),
            LearnedFacet::UserProfile => (&l.user_profile.provenance, l.user_profile.confidence),
            LearnedFacet::WorkPerformed => {
                (&l.work_performed.provenance, l.work_performed.confidence)
            }
            LearnedFacet::Outcome => (&l.outcome.provenance, l.outcome.confidence),
            LearnedFacet::SuccessSignal => {
                (&l.success_signal.provenance, l.success_signal.confidence)
            }
            LearnedFacet::FailureSignal => {
                (&l.failure_signal.provenance, l.failure_signal.confidence)
            }
            LearnedFacet::ValueBand => (&l.task_value.provenance, l.task_value.confidence),
        }
    }

    /// Human name (`work mode`).
    pub fn title(self) -> String {
        self.name().replace('_', " ")
    }

    /// Write a predicted class (with its probability) into `l`. Out-of-range classes are a bug
    /// in the caller (a model is checked against [`LearnedFacet::classes`] when loaded).
    pub fn set(self, l: &mut Labels, class: usize, p: f64, prov: Provenance) {
        fn put<T>(slot: &mut Label<T>, v: Option<T>, p: f64, prov: Provenance) {
            if let Some(v) = v {
                *slot = Label::ok(v, prov).with_confidence(p);
            }
        }
        match self {
            LearnedFacet::WorkMode => {
                put(&mut l.work_mode, WorkMode::ALL.get(class).copied(), p, prov)
            }
            LearnedFacet::CodebaseRelation => put(
                &mut l.codebase_relation,
                CodebaseRelation::ALL.get(class).copied(),
                p,
                prov,
            ),
            LearnedFacet::Expertise => put(
                &mut l.expertise,
                Expertise::ALL.get(class).copied(),
                p,
                prov,
            ),
            LearnedFacet::UserProfile => {
                let v = match Occupation::ALL.get(class) {
                    Some(o) => Some(UserProfile::Group(*o)),
                    None => (class == Occupation::ALL.len()).then_some(UserProfile::Unclear),
                };
                put(&mut l.user_profile, v, p, prov)
            }
            LearnedFacet::WorkPerformed => put(
                &mut l.work_performed,
                Occupation::ALL.get(class).copied(),
                p,
                prov,
            ),
            LearnedFacet::Outcome => put(&mut l.outcome, Outcome::ALL.get(class).copied(), p, prov),
            LearnedFacet::SuccessSignal => put(
                &mut l.success_signal,
                Signal::ALL.get(class).copied(),
                p,
                prov,
            ),
            LearnedFacet::FailureSignal => put(
                &mut l.failure_signal,
                Signal::ALL.get(class).copied(),
                p,
                prov,
            ),
            LearnedFacet::ValueBand => {
                let Some(band) = ValueBand::ALL.get(class).copied() else {
                    return;
                };
                // The dollar estimate stays the heuristic's when it lies in the band; otherwise
                // it moves to the band's geometric middle.
                let usd = match l.task_value.value {
                    Some(t) if t.band == band => t.usd,
                    _ => band_middle(band),
                };
                put(&mut l.task_value, Some(TaskValue { usd, band }), p, prov)
            }
        }
    }
}

/// Geometric middle of a value band (dollars).
pub fn band_middle(b: ValueBand) -> f64 {
    let (lo, hi): (f64, f64) = match b {
        ValueBand::B10To200 => (10.0, 200.0),
        ValueBand::B200To1k => (200.0, 1000.0),
        ValueBand::B1kTo5k => (1000.0, 5000.0),
        ValueBand::B5kTo50k => (5000.0, 50000.0),
    };
    ((lo * hi).sqrt()).round()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_parses_back_to_its_index() {
        for f in LearnedFacet::ALL {
            for (i, c) in f.classes().iter().enumerate() {
                assert_eq!(f.parse_str(c), Some(i), "{} {c}", f.name());
            }
            assert_eq!(LearnedFacet::by_name(f.name()), Some(f));
        }
        assert_eq!(
            LearnedFacet::Expertise.parse(&serde_json::json!(3)),
            Some(2)
        );
        assert_eq!(LearnedFacet::WorkMode.parse(&serde_json::json!(3)), None);
        assert_eq!(LearnedFacet::WorkMode.parse_str("Refactor"), None);
        assert_eq!(
            LearnedFacet::Expertise.level(5),
            None,
            "Unclear has no level"
        );
        assert_eq!(LearnedFacet::SuccessSignal.level(0), Some(0));
        assert_eq!(band_middle(ValueBand::B200To1k), 447.0);
    }
}
