//! The normalized, agent-independent session model.
//!
//! Every agent adapter (in `agentstat-ingest`) produces a [`Session`]; everything after ingest
//! (telemetry, redaction, classifiers) reads only these types. The model is deliberately plain
//! data with no I/O, so it can be built by hand in tests.
//!
//! Conventions:
//! - timestamps are milliseconds since the Unix epoch, UTC (`None` when the record had none);
//! - events are in conversation order (for Claude Code: the `parentUuid` graph, then time);
//! - subagent work is folded into its parent session: its events carry `subagent: Some(id)`;
//! - the person is only ever a pseudonymous [`UserKey`], never a name.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

mod input;
pub mod lines;
pub use input::ToolInput;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// A pseudonymous, salted hash identifying the person behind a session (hex string).
/// Derived by ingest from the home directory in `cwd` or an explicit `--user` label; the raw
/// name is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct UserKey(pub String);

/// Which agent wrote the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AgentInfo {
    /// Stable short name, e.g. `claude-code`.
    pub name: String,
    /// Version string as the agent recorded it (e.g. `2.1.37`), if any.
    pub version: Option<String>,
    /// The agent writes its whole reply first and its edits are applied after it (Aider), so it
    /// never speaks after its last edits: ending on them is its normal end, not work cut off.
    #[serde(default)]
    pub edits_applied_after_reply: bool,
}

/// One conversation between a person and a coding agent.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Session {
    /// The agent's own session id (e.g. Claude Code `sessionId`).
    pub id: String,
    pub agent: AgentInfo,
    /// Files this session was read from (main transcript first, then subagent files).
    pub source_files: Vec<String>,
    /// Working directory of the session (the project), as recorded.
    pub project: Option<String>,
    pub git_branch: Option<String>,
    /// Pseudonymous person key.
    pub user: UserKey,
    /// How the agent was started (`cli`, `sdk-cli`, `sdk-ts`, …) when recorded.
    pub entrypoint: Option<String>,
    /// Ordered conversation events, subagent work included.
    pub events: Vec<Event>,
    /// API requests, deduplicated (one entry per message id + request id).
    pub model_calls: Vec<ModelCall>,
    /// Subagents whose work was folded into this session.
    pub subagents: Vec<SubagentInfo>,
    /// Pull-request links recorded by the agent (`pr-link` records), deduplicated.
    pub pr_links: Vec<String>,
    /// Number of compactions (compact boundaries) in the session.
    pub compactions: u32,
    /// Records the adapter read but deliberately did not turn into events, by reason
    /// (e.g. `progress`, `file-history-snapshot`, `duplicate-uuid`). Explained, not errors.
    pub ignored_records: std::collections::BTreeMap<String, u64>,
    /// Lines the agent's own tool recorded as written by the agent in this session, apart from
    /// the transcript (Cursor's AI code tracking database); `None` when nothing recorded them.
    #[serde(default)]
    pub tracked_lines: Option<TrackedLines>,
}

/// Agent-written lines recorded outside the transcript (Cursor's `ai-code-tracking.db`: one
/// hash per line the agent wrote, with the file it is in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TrackedLines {
    /// Lines written by the agent (distinct line hashes).
    pub lines: u64,
    /// Distinct files they are in.
    pub files: u32,
}

impl Session {
    /// Human turns (prompts the person typed), in order.
    pub fn human_turns(&self) -> impl Iterator<Item = &HumanTurn> {
        self.events.iter().filter_map(|e| match e {
            Event::Human(h) => Some(h),
            _ => None,
        })
    }

    /// Agent actions (tool calls, subagents' included), in order.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.events.iter().filter_map(|e| match e {
            Event::Action(a) => Some(a),
            _ => None,
        })
    }

    /// Whether the session counts as interactive (rubric §1): at least one human turn and not
    /// started by a non-interactive entrypoint (SDK / `claude -p`).
    pub fn is_interactive(&self) -> bool {
        self.non_interactive_reason().is_none()
    }

    /// Why the session is excluded from analyses, if it is.
    pub fn non_interactive_reason(&self) -> Option<&'static str> {
        if self.human_turns().next().is_none() {
            return Some("no human turns");
        }
        match self.entrypoint.as_deref() {
            Some(e) if e.starts_with("sdk") => Some("non-interactive entrypoint"),
            _ => None,
        }
    }

    /// First and last timestamp seen in the session.
    pub fn time_range(&self) -> Option<(Millis, Millis)> {
        let mut it = self.events.iter().filter_map(Event::timestamp);
        let first = it.next()?;
        let (mut lo, mut hi) = (first, first);
        for t in it {
            lo = lo.min(t);
            hi = hi.max(t);
        }
        Some((lo, hi))
    }
}

/// One thing that happened in the conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A prompt the person typed.
    Human(HumanTurn),
    /// Visible assistant text (not thinking).
    AssistantText(AssistantText),
    /// A tool call and its result.
    Action(Action),
    /// The person interrupted the agent (Esc / "[Request interrupted by user]").
    Interrupt {
        timestamp: Option<Millis>,
        subagent: Option<String>,
    },
    /// Text injected by the CLI rather than typed: slash-command expansions, reminders,
    /// caveats, compaction summaries, hook output, local command output. Kept for rendering
    /// (classifiers see "system" turns) but never counted as a prompt.
    System(SystemNote),
    /// A compaction boundary (history before it was summarised).
    Compaction {
        timestamp: Option<Millis>,
        trigger: Option<String>,
    },
}

impl Event {
    pub fn timestamp(&self) -> Option<Millis> {
        match self {
            Event::Human(h) => h.timestamp,
            Event::AssistantText(a) => a.timestamp,
            Event::Action(a) => a.timestamp,
            Event::Interrupt { timestamp, .. } => *timestamp,
            Event::System(s) => s.timestamp,
            Event::Compaction { timestamp, .. } => *timestamp,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct HumanTurn {
    pub text: String,
    pub timestamp: Option<Millis>,
    /// Typed while the agent was working and delivered from the queue.
    pub queued: bool,
    /// Permission mode in force when the prompt was sent (`default`, `acceptEdits`,
    /// `bypassPermissions`, `plan`, …), if recorded.
    pub permission_mode: Option<String>,
    /// Number of images/documents attached to the prompt.
    pub attachments: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct AssistantText {
    pub text: String,
    pub timestamp: Option<Millis>,
    pub model: Option<String>,
    /// Subagent id when produced inside a subagent.
    pub subagent: Option<String>,
}

/// Normalized kind of a tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Read,
    Search,
    Edit,
    Write,
    Shell,
    Web,
    Subagent,
    /// Planning and to-do tools (TodoWrite, Task* list tools, ExitPlanMode, …).
    Plan,
    Other,
}

impl ActionKind {
    pub const ALL: [ActionKind; 9] = [
        ActionKind::Read,
        ActionKind::Search,
        ActionKind::Edit,
        ActionKind::Write,
        ActionKind::Shell,
        ActionKind::Web,
        ActionKind::Subagent,
        ActionKind::Plan,
        ActionKind::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Read => "read",
            ActionKind::Search => "search",
            ActionKind::Edit => "edit",
            ActionKind::Write => "write",
            ActionKind::Shell => "shell",
            ActionKind::Web => "web",
            ActionKind::Subagent => "subagent",
            ActionKind::Plan => "plan",
            ActionKind::Other => "other",
        }
    }
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ResultStatus {
    Ok,
    Error,
    /// The person refused permission for the call.
    Rejected,
    /// The person interrupted while the call ran.
    Interrupted,
    /// No result was recorded (session ended, or file truncated).
    #[default]
    Missing,
}

/// Lines changed by one edit/write, as recorded by the agent (structured patch or file content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LineDelta {
    pub added: u64,
    pub removed: u64,
}

/// One tool call made by the agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Action {
    /// Tool-use id from the transcript.
    pub id: String,
    /// The raw tool name (`Bash`, `Edit`, `mcp__github__create_pr`, …).
    pub tool: String,
    pub kind: ActionKind,
    /// The tool input as recorded (raw JSON, parsed on demand).
    pub input: ToolInput,
    pub timestamp: Option<Millis>,
    /// Subagent id when called inside a subagent.
    pub subagent: Option<String>,
    pub result: ActionResult,
}

impl Action {
    /// Shell command text, for shell actions.
    pub fn command(&self) -> Option<Cow<'_, str>> {
        self.input.get_str("command")
    }
    /// Target file path, for read/edit/write actions.
    pub fn file_path(&self) -> Option<Cow<'_, str>> {
        ["file_path", "path", "notebook_path"]
            .iter()
            .find_map(|k| self.input.get_str(k))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ActionResult {
    pub status: ResultStatus,
    /// Result text; long outputs keep head and tail around a truncation marker.
    pub output: String,
    pub timestamp: Option<Millis>,
    /// Lines changed, when the agent recorded a structured patch or written content.
    pub lines: Option<LineDelta>,
    /// Shell exit code when the agent recorded it.
    pub exit_code: Option<i32>,
}

/// One API request (assistant message), deduplicated by message id + request id.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ModelCall {
    pub message_id: String,
    pub request_id: Option<String>,
    pub model: Option<String>,
    pub timestamp: Option<Millis>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_creation_tokens: u64,
    /// Subagent id when the request was made inside a subagent.
    pub subagent: Option<String>,
}

/// A subagent folded into the session.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SubagentInfo {
    pub id: String,
    /// e.g. `general-purpose`, `Explore`, `compact`, from `.meta.json` or the Task input.
    pub agent_type: Option<String>,
    /// Where it came from: `flat` (`agent-*.jsonl` beside the session), `nested`
    /// (`<session>/subagents/`), or `inline` (sidechain records in the main file).
    pub layout: String,
    pub is_compaction: bool,
}

/// Text injected by the CLI or hooks, kept for rendering only.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SystemNote {
    /// `command`, `reminder`, `caveat`, `compact_summary`, `local_command`, `hook`,
    /// `bash_echo`, `meta`, `system`, …
    pub kind: String,
    pub text: String,
    pub timestamp: Option<Millis>,
}

/// Tool name an adapter gives a commit that the agent's harness made by itself after applying an
/// edit (Aider commits every applied edit). Telemetry counts it as a commit, since it is one; the
/// heuristic does not read it as evidence that the work met its goal, since it only restates
/// that the edit was applied.
pub const AUTO_COMMIT_TOOL: &str = "auto_commit";

/// Parse an RFC 3339 / ISO 8601 UTC timestamp (`2025-06-01T12:34:56.789Z`, offsets allowed)
/// into milliseconds since the epoch. Returns `None` on anything malformed.
pub fn parse_timestamp(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
        }
        Some(v)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let mut digits = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            if digits < 3 {
                ms = ms * 10 + (b[i] - b'0') as i64;
            }
            digits += 1;
            i += 1;
        }
        for _ in digits..3 {
            ms *= 10;
        }
    }
    let mut offset_min = 0i64;
    if i < b.len() {
        match b[i] {
            b'Z' | b'z' => {}
            b'+' | b'-' if b.len() >= i + 6 && b[i + 3] == b':' => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                offset_min = (oh * 60 + om) * if b[i] == b'-' { -1 } else { 1 };
            }
            _ => return None,
        }
    }
    // Days from civil (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = if yy >= 0 { yy } else { yy - 399 } / 400;
    let yoe = yy - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(((days * 86400 + h * 3600 + mi * 60 + se) - offset_min * 60) * 1000 + ms)
}

/// `YYYY-MM` of a timestamp (UTC).
pub fn month_of(ms: Millis) -> String {
    let (y, m, _) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}")
}

/// `YYYY-MM-DD` of a timestamp (UTC).
pub fn date_of(ms: Millis) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_and_round_trip_to_month() {
        let t = parse_timestamp("2025-06-01T12:34:56.789Z").unwrap();
        assert_eq!(t, 1_748_781_296_789);
        assert_eq!(month_of(t), "2025-06");
        assert_eq!(date_of(t), "2025-06-01");
        assert_eq!(
            parse_timestamp("2025-06-01T12:34:56Z").unwrap(),
            1_748_781_296_000
        );
        assert_eq!(
            parse_timestamp("2025-06-01T14:34:56+02:00").unwrap(),
            1_748_781_296_000
        );
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.5Z"), Some(500));
        assert_eq!(parse_timestamp("not a time"), None);
        assert_eq!(parse_timestamp("2025-13-01T00:00:00Z"), None);
    }

    #[test]
    fn interactive_needs_a_human_turn() {
        let mut s = Session::default();
        assert_eq!(s.non_interactive_reason(), Some("no human turns"));
        s.events.push(Event::Human(HumanTurn {
            text: "hi".into(),
            ..Default::default()
        }));
        assert!(s.is_interactive());
        s.entrypoint = Some("sdk-cli".into());
        assert!(!s.is_interactive());
    }
}
