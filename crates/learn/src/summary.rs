//! The validated figures of what ships, in one machine-readable home: per facet, which
//! classifier the default uses and how far its labels agree with careful raters on people it
//! was not built on, beside the constant classifier's and the raters' own agreement.
//!
//! `crates/learn/model/validation.json` is written by `agentstat validate … --summary FILE`,
//! which `scripts/labels/update-validation.sh` runs in the same pass that regenerates
//! docs/VALIDATION.md's tables, and is embedded in the binary beside the default model
//! ([`EMBEDDED_SUMMARY`]). It does not depend on the model file's bytes: it is made from the
//! nested validation, which trains its own models. The report reads it to say, for every facet
//! it shows, how far the labels can be trusted (`agentstat report`, docs/REPORT.md).

use crate::facet::LearnedFacet;
use crate::metrics::Agreement;
use crate::validate::Validation;
use serde::{Deserialize, Serialize};

/// The summary of the validation of the shipped default (regenerate with
/// `scripts/labels/update-validation.sh`).
pub static EMBEDDED_SUMMARY: &str = include_str!("../model/validation.json");

/// Below this exact agreement on unseen people a facet's figures are to be read as rough.
pub const TRUST_EXACT: f64 = 0.60;

/// The validated figures of the shipped default classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// How the file was made (the command).
    pub generated_by: String,
    /// The labels it was measured against.
    pub labels: String,
    pub ratings: usize,
    pub sessions: usize,
    pub people: usize,
    /// Sessions rated by two raters (the raters' figures rest on them).
    pub double_rated: usize,
    /// Person-grouped outer folds of the nested validation, and their seed.
    pub folds: usize,
    pub seed: u64,
    /// The heuristic's rules and the learned features the figures were measured with: figures
    /// of other rules say nothing about these (a test checks they are this build's).
    pub rules_version: String,
    pub features_version: String,
    /// Issue 13's held-out half (none when the split was not given).
    pub held_out: Option<HeldOutHalf>,
    pub facets: Vec<FacetSummary>,
}

/// The held-out half of the person split: people no rule change was designed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOutHalf {
    pub people: usize,
    pub ratings: usize,
    /// Where the split is defined.
    pub split: String,
}

/// One facet: which classifier the default uses, and the agreements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetSummary {
    /// `work_mode`, … (as [`LearnedFacet::name`]).
    pub facet: String,
    /// `learned` or `heuristic`: whose label the shipped default outputs.
    pub default_classifier: String,
    /// The default's label is the constant classifier's (the same for every session).
    pub default_is_constant: bool,
    /// The default on people outside training (nested, person-grouped validation).
    pub default: Agreement,
    /// The default on the held-out half (its labels from the nested folds).
    pub default_held_out: Option<Agreement>,
    /// The heuristic over all ratings (its rules were designed with some of these people's
    /// labels in view: optimistic) and on the held-out half.
    pub heuristic: Agreement,
    pub heuristic_held_out: Option<Agreement>,
    /// Always answering the training folds' most common label.
    pub constant: Agreement,
    /// Two raters on the sessions rated twice: the ceiling.
    pub raters: Option<Agreement>,
}

/// The figure to quote for a classifier's labels on a facet, and what it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Headline<'a> {
    pub agreement: &'a Agreement,
    /// `held-out half` or `nested validation`.
    pub basis: &'static str,
}

/// Why a facet's figures are to be read as rough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rough {
    /// The label is the same for every session.
    Constant,
    /// Exact agreement no higher than always answering the commonest label (over the same
    /// ratings: all of them).
    NoBetterThanConstant,
    /// Exact agreement below [`TRUST_EXACT`].
    Low,
}

impl Summary {
    /// The summary embedded in this binary.
    pub fn embedded() -> Result<Summary, String> {
        Summary::parse(EMBEDDED_SUMMARY, "the embedded validation summary")
    }

    pub fn parse(text: &str, name: &str) -> Result<Summary, String> {
        serde_json::from_str(text).map_err(|e| format!("{name}: line {}: {e}", e.line()))
    }

    /// The summary of a nested validation run with the shipped lists (`rules_version`: the
    /// heuristic's, `split`: where the held-out half is defined).
    pub fn from_validation(v: &Validation, rules_version: &str, split: &str) -> Summary {
        let facets = v
            .facets
            .iter()
            .map(|f| FacetSummary {
                facet: f.facet.clone(),
                default_classifier: if f.folds_learned * 2 > v.folds {
                    "learned"
                } else {
                    "heuristic"
                }
                .into(),
                default_is_constant: f.folds_learned == v.folds && f.folds_constant == v.folds,
                default: f.default.clone(),
                default_held_out: f.held_out_default.clone(),
                heuristic: f.heuristic.clone(),
                heuristic_held_out: f.held_out_heuristic.clone(),
                constant: f.constant.clone(),
                raters: f.raters.clone(),
            })
            .collect();
        Summary {
            generated_by: "scripts/labels/update-validation.sh (agentstat validate --summary)"
                .into(),
            labels: "data/labels/reference.jsonl".into(),
            ratings: v.ratings,
            sessions: v.sessions,
            people: v.people,
            double_rated: v.double_rated,
            folds: v.folds,
            seed: v.seed,
            rules_version: rules_version.into(),
            features_version: crate::features::FEATURES_VERSION.into(),
            held_out: (v.held_out_people > 0).then(|| HeldOutHalf {
                people: v.held_out_people,
                ratings: v.held_out_ratings,
                split: split.into(),
            }),
            facets,
        }
    }

    /// The file's text (pretty JSON, one trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary serialises") + "\n"
    }

    pub fn facet(&self, f: LearnedFacet) -> Option<&FacetSummary> {
        self.facets.iter().find(|x| x.facet == f.name())
    }
}

impl FacetSummary {
    /// The figure to quote for `classifier`'s labels (`learned` for the shipped model's,
    /// `heuristic` for the rules'): the heuristic's rules were designed with labelled people in
    /// view, so its figure is the held-out half's when there is one; the learned default's is
    /// the nested validation's. `None` for a classifier the validation does not cover (the
    /// learned label on a facet where the default keeps the heuristic's).
    pub fn headline(&self, classifier: &str) -> Option<Headline<'_>> {
        match classifier {
            "heuristic" => Some(match &self.heuristic_held_out {
                Some(a) => Headline {
                    agreement: a,
                    basis: "held-out half",
                },
                None => Headline {
                    agreement: &self.heuristic,
                    basis: "nested validation",
                },
            }),
            "learned" if self.default_classifier == "learned" => Some(Headline {
                agreement: &self.default,
                basis: "nested validation",
            }),
            _ => None,
        }
    }

    /// Whether figures resting on `classifier`'s labels of this facet are to be read as rough.
    pub fn rough(&self, classifier: &str) -> Option<Rough> {
        if classifier == "learned" && self.default_is_constant {
            return Some(Rough::Constant);
        }
        let h = self.headline(classifier)?;
        // Compared on the same ratings as the constant's figure (all of them).
        let all = if classifier == "heuristic" {
            &self.heuristic
        } else {
            &self.default
        };
        if all.exact.p <= self.constant.exact.p {
            Some(Rough::NoBetterThanConstant)
        } else if h.agreement.exact.p < TRUST_EXACT {
            Some(Rough::Low)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Share;

    fn agreement(k: usize, n: usize) -> Agreement {
        Agreement {
            exact: Share::of(k, n),
            within: None,
            kappa: 0.0,
        }
    }

    fn facet(default: &str, constant: bool, exact: usize, held_out: Option<usize>) -> FacetSummary {
        FacetSummary {
            facet: "work_mode".into(),
            default_classifier: default.into(),
            default_is_constant: constant,
            default: agreement(exact, 100),
            default_held_out: None,
            heuristic: agreement(exact, 100),
            heuristic_held_out: held_out.map(|k| agreement(k, 50)),
            constant: agreement(30, 100),
            raters: Some(agreement(93, 100)),
        }
    }

    #[test]
    fn headline_and_trust() {
        // The heuristic's figure is the held-out half's when there is one.
        let f = facet("heuristic", false, 66, Some(24));
        let h = f.headline("heuristic").unwrap();
        assert_eq!((h.agreement.exact.k, h.basis), (24, "held-out half"));
        assert_eq!(f.rough("heuristic"), Some(Rough::Low));
        assert!(
            f.headline("learned").is_none(),
            "the learned label is not what ships here"
        );
        assert_eq!(f.rough("learned"), None);
        // Held-out 10 of 50 is below the constant's 30%, but the constant's figure is over all
        // ratings: compared there (66%), the facet is low, not no better than the constant.
        let f = facet("heuristic", false, 66, Some(10));
        assert_eq!(f.rough("heuristic"), Some(Rough::Low));
        let f = facet("heuristic", false, 30, Some(40));
        assert_eq!(f.rough("heuristic"), Some(Rough::NoBetterThanConstant));
        let f = facet("heuristic", false, 66, None);
        assert_eq!(f.headline("heuristic").unwrap().basis, "nested validation");
        assert_eq!(f.rough("heuristic"), None);
        let f = facet("learned", true, 86, None);
        assert_eq!(f.rough("learned"), Some(Rough::Constant));
        let f = facet("learned", false, 30, None);
        assert_eq!(f.rough("learned"), Some(Rough::NoBetterThanConstant));
        let f = facet("learned", false, 85, None);
        assert_eq!(f.rough("learned"), None);
        assert_eq!(f.headline("learned").unwrap().basis, "nested validation");
    }

    #[test]
    fn bad_summaries_are_named() {
        let e = Summary::parse("{\n\"facets\": 3", "x.json").unwrap_err();
        assert!(e.starts_with("x.json: line 2:"), "{e}");
    }
}
