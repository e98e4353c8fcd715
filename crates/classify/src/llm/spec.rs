//! The classifiers: prompt, version, answer schema and validation of each.
//!
//! Every prompt is a file under `src/prompts/`, in our own words, with the rubric's categories,
//! tie-breaks and scales (rubric §3). Each has a `*_VERSION` constant; bump it whenever the
//! prompt's wording, schema or validation changes, since it is part of the cache key.

use agentstat_facets::{
    CodebaseRelation, Decider, DecisionKind, Decisions, Expertise, Occupation, Outcome, Signal,
    UserProfile, WorkMode,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::value;

pub const PREAMBLE_VERSION: &str = "preamble.v1";
pub const WORK_MODE_VERSION: &str = "work_mode.v1";
pub const CODEBASE_RELATION_VERSION: &str = "codebase_relation.v1";
pub const DECISIONS_VERSION: &str = "decisions.v1";
pub const EXPERTISE_VERSION: &str = "expertise.v1";
pub const USER_PROFILE_VERSION: &str = "user_profile.v1";
pub const WORK_PERFORMED_VERSION: &str = "work_performed.v1";
pub const OUTCOME_VERSION: &str = "outcome.v1";
pub const SUCCESS_SIGNAL_VERSION: &str = "success_signal.v1";
pub const FAILURE_SIGNAL_VERSION: &str = "failure_signal.v1";
pub const JOB_POSTING_VERSION: &str = "job_posting.v1";
pub const PRICE_VERSION: &str = "price.v1";

pub(crate) const PREAMBLE: &str = include_str!("../prompts/preamble.md");
const OCCUPATIONS: &str = include_str!("../prompts/occupations.md");

/// One LLM classifier (one call per session each; `Price` reads the job posting instead of the
/// transcript).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classifier {
    WorkMode,
    CodebaseRelation,
    Decisions,
    Expertise,
    UserProfile,
    WorkPerformed,
    Outcome,
    SuccessSignal,
    FailureSignal,
    JobPosting,
    Price,
}

impl Classifier {
    /// The classifiers that read the transcript (the first round of calls).
    pub const TRANSCRIPT: [Classifier; 10] = [
        Classifier::WorkMode,
        Classifier::CodebaseRelation,
        Classifier::Decisions,
        Classifier::Expertise,
        Classifier::UserProfile,
        Classifier::WorkPerformed,
        Classifier::Outcome,
        Classifier::SuccessSignal,
        Classifier::FailureSignal,
        Classifier::JobPosting,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Classifier::WorkMode => "work_mode",
            Classifier::CodebaseRelation => "codebase_relation",
            Classifier::Decisions => "decisions",
            Classifier::Expertise => "expertise",
            Classifier::UserProfile => "user_profile",
            Classifier::WorkPerformed => "work_performed",
            Classifier::Outcome => "outcome",
            Classifier::SuccessSignal => "success_signal",
            Classifier::FailureSignal => "failure_signal",
            Classifier::JobPosting => "job_posting",
            Classifier::Price => "price",
        }
    }

    /// The prompt version recorded in provenance and hashed into the cache key.
    pub fn version(self) -> String {
        let own = match self {
            Classifier::WorkMode => WORK_MODE_VERSION,
            Classifier::CodebaseRelation => CODEBASE_RELATION_VERSION,
            Classifier::Decisions => DECISIONS_VERSION,
            Classifier::Expertise => EXPERTISE_VERSION,
            Classifier::UserProfile => USER_PROFILE_VERSION,
            Classifier::WorkPerformed => WORK_PERFORMED_VERSION,
            Classifier::Outcome => OUTCOME_VERSION,
            Classifier::SuccessSignal => SUCCESS_SIGNAL_VERSION,
            Classifier::FailureSignal => FAILURE_SIGNAL_VERSION,
            Classifier::JobPosting => JOB_POSTING_VERSION,
            Classifier::Price => {
                return format!(
                    "{PRICE_VERSION}+{}+{PREAMBLE_VERSION}",
                    value::CALIBRATION_VERSION
                )
            }
        };
        format!("{own}+{PREAMBLE_VERSION}")
    }

    /// The classifier's instructions (after the transcript in the user message).
    pub fn prompt(self) -> String {
        let raw = match self {
            Classifier::WorkMode => include_str!("../prompts/work_mode.md"),
            Classifier::CodebaseRelation => include_str!("../prompts/codebase_relation.md"),
            Classifier::Decisions => include_str!("../prompts/decisions.md"),
            Classifier::Expertise => include_str!("../prompts/expertise.md"),
            Classifier::UserProfile => include_str!("../prompts/user_profile.md"),
            Classifier::WorkPerformed => include_str!("../prompts/work_performed.md"),
            Classifier::Outcome => include_str!("../prompts/outcome.md"),
            Classifier::SuccessSignal => include_str!("../prompts/success_signal.md"),
            Classifier::FailureSignal => include_str!("../prompts/failure_signal.md"),
            Classifier::JobPosting => include_str!("../prompts/job_posting.md"),
            Classifier::Price => include_str!("../prompts/price.md"),
        };
        raw.replace("{OCCUPATIONS}", OCCUPATIONS)
            .replace("{CALIBRATION}", &value::calibration_block())
    }

    /// The allowed labels, for label classifiers.
    pub fn labels(self) -> Option<Vec<&'static str>> {
        fn names<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(|x| f(*x)).collect()
        }
        Some(match self {
            Classifier::WorkMode => names(WorkMode::ALL, WorkMode::as_str),
            Classifier::CodebaseRelation => names(CodebaseRelation::ALL, CodebaseRelation::as_str),
            Classifier::Expertise => names(Expertise::ALL, Expertise::as_str),
            Classifier::UserProfile => {
                let mut v = names(Occupation::ALL, Occupation::as_str);
                v.push("Unclear");
                v
            }
            Classifier::WorkPerformed => names(Occupation::ALL, Occupation::as_str),
            Classifier::Outcome => names(Outcome::ALL, Outcome::as_str),
            Classifier::SuccessSignal | Classifier::FailureSignal => {
                names(Signal::ALL, Signal::as_str)
            }
            Classifier::Decisions | Classifier::JobPosting | Classifier::Price => return None,
        })
    }

    /// JSON schema of the answer: every enum lists exactly the allowed labels.
    pub fn schema(self) -> Value {
        let reasoning = json!({"type": "string", "description": "At most three sentences."});
        if let Some(labels) = self.labels() {
            return json!({
                "type": "object",
                "properties": {"reasoning": reasoning, "label": {"type": "string", "enum": labels}},
                "required": ["reasoning", "label"],
                "additionalProperties": false
            });
        }
        match self {
            Classifier::Decisions => json!({
                "type": "object",
                "properties": {"decisions": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "decision": {"type": "string", "description": "At most twelve words."},
                        "kind": {"type": "string", "enum": ["planning", "execution"]},
                        "by": {"type": "string", "enum": ["user", "agent"]}
                    },
                    "required": ["decision", "kind", "by"],
                    "additionalProperties": false
                }}},
                "required": ["decisions"],
                "additionalProperties": false
            }),
            Classifier::JobPosting => json!({
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "description": {"type": "string", "description": "3 to 5 sentences."},
                    "skills": {"type": "array", "items": {"type": "string"}, "description": "3 to 8 skills."}
                },
                "required": ["title", "description", "skills"],
                "additionalProperties": false
            }),
            _ => json!({
                "type": "object",
                "properties": {"reasoning": reasoning, "usd": {"type": "number"}},
                "required": ["reasoning", "usd"],
                "additionalProperties": false
            }),
        }
    }

    /// Validate a model's answer into its stored form. The error is our own text (it never
    /// quotes the answer, which could echo the transcript).
    pub fn validate(self, v: &Value) -> Result<Answer, String> {
        if !v.is_object() {
            return Err("answer is not a JSON object".into());
        }
        if let Some(labels) = self.labels() {
            let raw = v
                .get("label")
                .and_then(Value::as_str)
                .ok_or("answer has no `label`")?;
            let ok = match self {
                Classifier::WorkMode => WorkMode::parse(raw).map(WorkMode::as_str),
                Classifier::CodebaseRelation => {
                    CodebaseRelation::parse(raw).map(CodebaseRelation::as_str)
                }
                Classifier::Expertise => Expertise::parse(raw).map(Expertise::as_str),
                Classifier::UserProfile => UserProfile::parse(raw).map(UserProfile::as_str),
                Classifier::WorkPerformed => Occupation::parse(raw).map(Occupation::as_str),
                Classifier::Outcome => Outcome::parse(raw).map(Outcome::as_str),
                _ => Signal::parse(raw).map(Signal::as_str),
            };
            return match ok {
                Some(l) if labels.contains(&l) => Ok(Answer::Label {
                    label: l.to_string(),
                }),
                _ => Err("label is not one of the allowed options".into()),
            };
        }
        match self {
            Classifier::Decisions => {
                let items = v
                    .get("decisions")
                    .and_then(Value::as_array)
                    .ok_or("answer has no `decisions` list")?;
                let mut d = Decisions::default();
                for it in items {
                    let kind = it
                        .get("kind")
                        .and_then(Value::as_str)
                        .and_then(DecisionKind::parse);
                    let by = it
                        .get("by")
                        .and_then(Value::as_str)
                        .and_then(Decider::parse);
                    match (kind, by) {
                        (Some(DecisionKind::Planning), Some(Decider::User)) => d.planning_user += 1,
                        (Some(DecisionKind::Planning), Some(Decider::Agent)) => {
                            d.planning_agent += 1
                        }
                        (Some(DecisionKind::Execution), Some(Decider::User)) => {
                            d.execution_user += 1
                        }
                        (Some(DecisionKind::Execution), Some(Decider::Agent)) => {
                            d.execution_agent += 1
                        }
                        _ => return Err("a decision has an invalid `kind` or `by`".into()),
                    }
                }
                Ok(Answer::Decisions { counts: d })
            }
            Classifier::JobPosting => {
                let s = |k: &str| {
                    v.get(k)
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .unwrap_or("")
                };
                let (title, description) = (s("title"), s("description"));
                let mut skills: Vec<String> = v
                    .get("skills")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|x| x.trim().to_string())
                            .filter(|x| !x.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                skills.dedup();
                if title.is_empty() || description.is_empty() {
                    return Err("job posting lacks a title or description".into());
                }
                if skills.len() < 3 {
                    return Err("job posting lists fewer than 3 skills".into());
                }
                skills.truncate(8);
                Ok(Answer::Posting {
                    title: title.chars().take(200).collect(),
                    description: description.chars().take(2_000).collect(),
                    skills: skills
                        .into_iter()
                        .map(|k| k.chars().take(60).collect())
                        .collect(),
                })
            }
            _ => {
                let usd = v.get("usd").and_then(|x| {
                    x.as_f64().or_else(|| {
                        x.as_str()
                            .and_then(|s| s.replace(['$', ','], "").trim().parse().ok())
                    })
                });
                match usd {
                    Some(u) if u.is_finite() && u > 0.0 && u <= 1_000_000.0 => {
                        Ok(Answer::Usd { usd: u })
                    }
                    _ => Err("price is not a positive number of dollars".into()),
                }
            }
        }
    }
}

/// A validated answer, as stored in the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Answer {
    Label {
        label: String,
    },
    Decisions {
        counts: Decisions,
    },
    Posting {
        title: String,
        description: String,
        skills: Vec<String>,
    },
    Usd {
        usd: f64,
    },
    /// The model answered invalidly twice; recorded so a re-run does not pay again.
    Invalid {
        error: String,
    },
}

impl Answer {
    /// The posting as the pricing call's input.
    pub fn posting_text(&self) -> Option<String> {
        match self {
            Answer::Posting {
                title,
                description,
                skills,
            } => Some(format!(
                "Title: {title}\nDescription: {description}\nSkills: {}",
                skills.join(", ")
            )),
            _ => None,
        }
    }
}

/// One call to make: the shared context (transcript or calibration) first, so providers can
/// reuse a cached prefix across the classifiers of one session, then the instructions.
#[derive(Debug, Clone)]
pub struct Job {
    pub classifier: Classifier,
    pub key: String,
    pub context: String,
    pub instruction: String,
    /// Set on the second attempt after an invalid answer.
    pub retry_note: Option<String>,
}

impl Job {
    /// A transcript classifier's job over a rendering.
    pub fn transcript(c: Classifier, rendering: &str, model: &str) -> Job {
        let context = format!("<transcript>\n{rendering}\n</transcript>");
        Job::new(c, context, c.prompt(), model)
    }

    /// The pricing job for a job posting.
    pub fn price(posting: &str, model: &str) -> Job {
        let c = Classifier::Price;
        let instruction = format!("Job posting to price:\n\n{posting}");
        Job::new(c, c.prompt(), instruction, model)
    }

    fn new(c: Classifier, context: String, instruction: String, model: &str) -> Job {
        let input = format!("{PREAMBLE}\n{context}\n{instruction}");
        let key = crate::cache::key(&input, c.id(), &c.version(), model);
        Job {
            classifier: c,
            key,
            context,
            instruction,
            retry_note: None,
        }
    }

    /// Characters of prompt text sent for this job (system prompt, context and instructions),
    /// for cost estimates.
    pub fn input_chars(&self) -> usize {
        PREAMBLE.chars().count()
            + self.context.chars().count()
            + self.instruction_text().chars().count()
    }

    /// The instruction text as sent (with the retry note, if any).
    pub fn instruction_text(&self) -> String {
        let mut s = self.instruction.trim_end().to_string();
        s.push_str("\n\nGive your answer in the structured format provided.");
        if let Some(n) = &self.retry_note {
            s.push_str(&format!(
                "\n\nYour previous answer was rejected: {n}. Answer again, choosing only among the allowed options."
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_name_every_allowed_label_and_validation_is_strict() {
        for c in Classifier::TRANSCRIPT {
            let p = c.prompt();
            assert!(
                !p.contains('{') || c == Classifier::JobPosting,
                "{c:?} has a placeholder left"
            );
            if let Some(labels) = c.labels() {
                for l in &labels {
                    assert!(p.contains(l), "{c:?} prompt lacks {l}");
                }
                let schema = c.schema();
                assert_eq!(
                    schema["properties"]["label"]["enum"]
                        .as_array()
                        .unwrap()
                        .len(),
                    labels.len()
                );
                assert!(c.validate(&json!({"label": labels[0]})).is_ok());
                assert!(c.validate(&json!({"label": "Something else"})).is_err());
            }
        }
        assert!(Classifier::Price.prompt().contains("$16,000"));
        assert_eq!(
            Classifier::Outcome.validate(&json!({"label": "partially succeeded"})),
            Ok(Answer::Label {
                label: "Partially Succeeded".into()
            })
        );
        let d = Classifier::Decisions.validate(&json!({"decisions": [
            {"decision": "a", "kind": "planning", "by": "user"},
            {"decision": "b", "kind": "execution", "by": "agent"},
            {"decision": "c", "kind": "execution", "by": "agent"}
        ]}));
        assert_eq!(
            d,
            Ok(Answer::Decisions {
                counts: Decisions {
                    planning_user: 1,
                    planning_agent: 0,
                    execution_user: 0,
                    execution_agent: 2
                }
            })
        );
        assert!(Classifier::Decisions
            .validate(&json!({"decisions": [{"kind": "strategy", "by": "user"}]}))
            .is_err());
        assert!(Classifier::Price
            .validate(&json!({"usd": "$1,200"}))
            .is_ok());
        assert!(Classifier::Price.validate(&json!({"usd": -3})).is_err());
        assert!(Classifier::JobPosting
            .validate(&json!({"title": "t", "description": "d", "skills": ["a"]}))
            .is_err());
    }
}
