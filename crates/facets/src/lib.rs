//! Facets: one row per session of telemetry, classifier labels and derived measures, and no
//! transcript text. This crate is the privacy boundary: statistics and reports depend on it and
//! on nothing that can see a transcript.
//!
//! - [`labels`]: the rubric's label sets with their exact spellings.
//! - [`Telemetry`]: deterministic numbers measured from the transcript (rubric §2).
//! - [`Labels`]: classifier answers with provenance (rubric §3).
//! - [`Facet`]: the row; [`Facet::derived`] gives rubric §4's measures.
//! - [`parquet`]: the facets table on disk (`docs/FACETS_SCHEMA.md`).
//! - [`vocab`]: the closed vocabulary of every string column (key, label or pattern).

pub mod dataset;
pub mod labels;
pub mod parquet;
pub mod vocab;

pub use labels::*;
use serde::{Deserialize, Serialize};

/// Deterministic per-session telemetry (rubric §2). Counts include subagent work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Telemetry {
    pub human_turns: u32,
    /// Prompts typed while the agent was working (queued); included in `human_turns`.
    pub queued_prompts: u32,
    /// API requests, deduplicated by message id + request id; `None` (unknown) when the agent
    /// answered but the transcript records no request (Cursor, SpecStory: docs/FORMATS.md).
    pub model_calls: Option<u32>,
    pub actions: u32,
    pub successful_actions: u32,
    /// Actions by normalized kind, in `ActionKind::ALL` order:
    /// read, search, edit, write, shell, web, subagent, plan, other.
    pub actions_by_kind: [u32; 9],
    pub subagents: u32,
    /// Actions per human turn (0 when there are no human turns).
    pub actions_per_prompt: f64,
    /// Assistant-visible output words per human turn.
    pub words_per_prompt: f64,
    pub output_words: u64,
    /// Tokens the model wrote, summed over the session's API requests; `None` (unknown) when
    /// the transcript records no token counts although the agent answered (docs/FORMATS.md).
    pub output_tokens: Option<u64>,
    /// Tokens read (prompt + cache reads + cache writes); `None` as for `output_tokens`.
    pub input_tokens: Option<u64>,
    /// Lines added by the edits whose size the transcript shows (a lower bound when some writes
    /// carry no content); `None` (unknown) when the session changed files but no edit shows its
    /// size (e.g. `sed -i`, or a format whose edits carry no content).
    pub lines_added: Option<u64>,
    /// Lines removed, known and unknown together with `lines_added`.
    pub lines_removed: Option<u64>,
    pub files_touched: u32,
    pub git_commits: u32,
    pub git_pushes: u32,
    pub pull_requests: u32,
    pub test_runs: u32,
    pub test_runs_passed: u32,
    pub test_runs_failed: u32,
    /// Outcome of the last test run in the session: `None` if no test ran.
    pub last_test_passed: Option<bool>,
    pub tool_errors: u32,
    pub interrupts: u32,
    pub rejections: u32,
    pub compactions: u32,
    /// Share of human turns sent in an auto-approve permission mode
    /// (`acceptEdits`, `bypassPermissions`, `dontAsk`, `auto`); `None` when no mode was recorded.
    pub auto_approve_share: Option<f64>,
    /// The most frequent permission mode across prompts.
    pub permission_mode: Option<String>,
    /// Agent working time after each prompt, seconds: median and total.
    pub turn_seconds_median: Option<f64>,
    pub turn_seconds_total: Option<f64>,
    /// Session start and end, milliseconds since the epoch.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// `YYYY-MM` of the start.
    pub month: Option<String>,
    /// Distinct model ids used, sorted.
    pub models: Vec<String>,
    /// Model family of the most-used model (`opus`, `sonnet`, `haiku`, `gpt`, `gemini`, …).
    pub model_family: Option<String>,
    /// The person could not be identified (no home directory in the working directory and no
    /// `--user`), so `user_key` is the installation's fallback identity `unknown`. Such a key may
    /// stand for several people: personal mode is never switched on automatically for it.
    /// `false` in files written before this field existed.
    #[serde(default)]
    pub user_unknown: bool,
}

impl Telemetry {
    /// Rubric §2: wrote code = at least one line added. When the transcript cannot tell the
    /// lines (`lines_added` unknown), a file written counts: unknown is not zero.
    pub fn wrote_code(&self) -> bool {
        match self.lines_added {
            Some(n) => n > 0,
            None => self.files_touched > 0,
        }
    }

    /// Lines added and removed, with unknown read as 0: for consumers whose values must not
    /// change with the unknown/zero distinction (the heuristic's task value, the learned
    /// model's features), not for statistics.
    pub fn lines_or_zero(&self) -> (u64, u64) {
        (
            self.lines_added.unwrap_or(0),
            self.lines_removed.unwrap_or(0),
        )
    }
}

/// Where a label came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Provenance {
    /// `heuristic`, `anthropic`, `anthropic-batch`, `openai`.
    pub backend: String,
    /// Model id (or the heuristic's rule-set id).
    pub model: String,
    /// Version of the prompt / rule set that produced the label.
    pub prompt_version: String,
}

/// A classifier's answer: the label, or a recorded classification error (never a silent
/// default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label<T> {
    pub value: Option<T>,
    pub provenance: Provenance,
    /// Our own error message (e.g. "invalid answer twice"); never transcript text.
    pub error: Option<String>,
    /// The classifier's predicted probability of `value` (0–1), for backends that estimate one
    /// (the learned classifier); `None` otherwise.
    #[serde(default)]
    pub confidence: Option<f64>,
}

impl<T> Label<T> {
    pub fn ok(value: T, provenance: Provenance) -> Self {
        Label {
            value: Some(value),
            provenance,
            error: None,
            confidence: None,
        }
    }
    /// A label with the classifier's probability for it.
    pub fn with_confidence(mut self, p: f64) -> Self {
        self.confidence = Some(p);
        self
    }
    pub fn failed(error: impl Into<String>, provenance: Provenance) -> Self {
        Label {
            value: None,
            provenance,
            error: Some(error.into()),
            confidence: None,
        }
    }
}

/// Decision attribution counts (§3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Decisions {
    pub planning_user: u32,
    pub planning_agent: u32,
    pub execution_user: u32,
    pub execution_agent: u32,
}

impl Decisions {
    /// The user's share of planning decisions; `None` without planning decisions.
    pub fn user_planning_share(&self) -> Option<f64> {
        share(self.planning_user, self.planning_agent)
    }
    /// The user's share of execution decisions; `None` without execution decisions.
    pub fn user_execution_share(&self) -> Option<f64> {
        share(self.execution_user, self.execution_agent)
    }
    /// The agent's share of all decisions (Fig. A2's banding variable).
    pub fn agent_share(&self) -> Option<f64> {
        share(
            self.planning_agent + self.execution_agent,
            self.planning_user + self.execution_user,
        )
    }
}

fn share(a: u32, b: u32) -> Option<f64> {
    (a + b > 0).then(|| a as f64 / (a + b) as f64)
}

/// Task value (§3.8): a dollar estimate for ranking, and its band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TaskValue {
    pub usd: f64,
    pub band: ValueBand,
}

/// All classifier labels for one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    pub work_mode: Label<WorkMode>,
    pub codebase_relation: Label<CodebaseRelation>,
    pub decisions: Label<Decisions>,
    pub expertise: Label<Expertise>,
    /// `Some(None)` would be awkward: user profile is `Occupation` or Unclear, so a successful
    /// Unclear answer is `value: Some(UserProfile::Unclear)`.
    pub user_profile: Label<UserProfile>,
    pub work_performed: Label<Occupation>,
    pub outcome: Label<Outcome>,
    pub success_signal: Label<Signal>,
    pub failure_signal: Label<Signal>,
    pub task_value: Label<TaskValue>,
}

/// One label's state, whatever its value type: see [`Labels::states`].
#[derive(Debug, Clone, Copy)]
pub struct LabelState<'a> {
    /// The facet's name (`work_mode`, `task_value`, …).
    pub name: &'static str,
    /// Whether a value was produced.
    pub produced: bool,
    pub error: Option<&'a str>,
    pub provenance: &'a Provenance,
}

impl Labels {
    /// Every label's state, in the rubric's order: the one list of the ten labels for code
    /// that does not care about their values (errors, provenance, completeness).
    pub fn states(&self) -> [LabelState<'_>; 10] {
        fn st<'a, T>(name: &'static str, l: &'a Label<T>) -> LabelState<'a> {
            LabelState {
                name,
                produced: l.value.is_some(),
                error: l.error.as_deref(),
                provenance: &l.provenance,
            }
        }
        [
            st("work_mode", &self.work_mode),
            st("codebase_relation", &self.codebase_relation),
            st("decisions", &self.decisions),
            st("expertise", &self.expertise),
            st("user_profile", &self.user_profile),
            st("work_performed", &self.work_performed),
            st("outcome", &self.outcome),
            st("success_signal", &self.success_signal),
            st("failure_signal", &self.failure_signal),
            st("task_value", &self.task_value),
        ]
    }

    /// Whether any classifier recorded an error instead of a label.
    pub fn any_failed(&self) -> bool {
        self.states().iter().any(|s| s.error.is_some())
    }

    /// Whether no label at all was produced.
    pub fn none_produced(&self) -> bool {
        self.states().iter().all(|s| !s.produced)
    }
}

/// User-profile occupation: one of the 23 groups, or Unclear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UserProfile {
    Group(Occupation),
    Unclear,
}

impl UserProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            UserProfile::Group(o) => o.as_str(),
            UserProfile::Unclear => "Unclear",
        }
    }
    pub fn parse(s: &str) -> Option<UserProfile> {
        if s.trim().eq_ignore_ascii_case("unclear") {
            return Some(UserProfile::Unclear);
        }
        Occupation::parse(s).map(UserProfile::Group)
    }
    pub fn group(self) -> Option<Occupation> {
        match self {
            UserProfile::Group(o) => Some(o),
            UserProfile::Unclear => None,
        }
    }
}

/// One row of the facets table: everything downstream of classification knows about a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facet {
    /// Pseudonymous session key (salted hash of the agent's session id).
    pub session_key: String,
    /// Pseudonymous person key.
    pub user_key: String,
    /// `claude-code`, `gemini-cli`, …
    pub agent: String,
    pub agent_version: Option<String>,
    pub interactive: bool,
    /// Why the session is excluded from analyses (`no human turns`, …), if it is.
    pub excluded_reason: Option<String>,
    pub telemetry: Telemetry,
    /// `None` for sessions that were not classified (non-interactive sessions are not sent to
    /// classifiers).
    pub labels: Option<Labels>,
    /// The user's working habits in this session (deterministic, no text); `None` for
    /// non-interactive sessions and for facets written before habits were measured.
    #[serde(default)]
    pub habits: Option<Habits>,
}

/// Per-session habits of the user: numbers and booleans measured deterministically from the
/// prompts (no classifier, no text). Definitions: `docs/FACETS_SCHEMA.md`; the computation is
/// `agentstat_classify::heuristic::features::habits`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Habits {
    /// A prompt states how success will be checked: a named test to pass, an expected output
    /// or an explicit acceptance criterion.
    pub named_acceptance_test: bool,
    /// Prompts asking for a targeted check (what to run, reproduce, compare or assert);
    /// generic "double check" requests are not counted.
    pub targeted_verification: u32,
    /// Share of the user's prompts sent in plan permission mode; `None` without prompts.
    pub plan_mode_share: Option<f64>,
    /// The first substantive prompt names at least two code-shaped things (identifiers,
    /// `backticked` names, flags, versions).
    pub specific_setup: bool,
    /// After the agent changed files, a prompt asks it to review or explain its changes.
    pub asked_for_review: bool,
}

/// Rubric §4's derived measures; `None` where an input label is missing.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Derived {
    pub wrote_code: bool,
    pub at_least_partial_success: Option<bool>,
    pub judged_success: Option<bool>,
    pub judged_failure: Option<bool>,
    pub verified_success: Option<bool>,
    pub verified_failure: Option<bool>,
    pub hit_trouble: Option<bool>,
    pub abandoned: Option<bool>,
    pub software_occupation: Option<bool>,
    /// Outcome is a success-analysis outcome (not No clear goal).
    pub in_success_sample: bool,
}

impl Facet {
    /// Rubric §4.
    pub fn derived(&self) -> Derived {
        let wrote_code = self.telemetry.wrote_code();
        let Some(l) = &self.labels else {
            return Derived {
                wrote_code,
                ..Default::default()
            };
        };
        let outcome = l.outcome.value;
        let succ = l.success_signal.value.map(Signal::level);
        let fail = l.failure_signal.value.map(Signal::level);
        let is = |o: Outcome| outcome.map(|x| x == o);
        Derived {
            wrote_code,
            at_least_partial_success: outcome
                .map(|o| matches!(o, Outcome::Succeeded | Outcome::PartiallySucceeded)),
            judged_success: is(Outcome::Succeeded),
            judged_failure: is(Outcome::Failed),
            verified_success: outcome
                .zip(succ)
                .map(|(o, s)| o == Outcome::Succeeded && s >= 4),
            verified_failure: outcome
                .zip(fail)
                .map(|(o, f)| o == Outcome::Failed && f >= 4),
            hit_trouble: fail.map(|f| f >= 3),
            abandoned: is(Outcome::Failed).map(|f| f && !wrote_code),
            software_occupation: l
                .user_profile
                .value
                .and_then(UserProfile::group)
                .map(|g| g == Occupation::ComputerMath),
            in_success_sample: self.interactive
                && matches!(outcome, Some(o) if o != Outcome::NoClearGoal),
        }
    }
}
