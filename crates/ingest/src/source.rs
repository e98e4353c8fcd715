//! What discovery hands to the adapters: a [`SessionSource`] (the files of one session) in a
//! [`Format`] (which adapter reads it). Adapters depend on these types only, never on
//! discovery itself; `Format` is the one list of formats and the agent names they carry.

use std::path::{Path, PathBuf};

/// What a file is within its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRole {
    Main,
    Subagent {
        agent_id: Option<String>,
        /// `flat` or `nested`.
        layout: String,
        agent_type: Option<String>,
        description: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub role: FileRole,
    /// Bytes of this session in the file (the whole file, or its `span`).
    pub bytes: u64,
    /// Byte range of the file that holds this session, when the file holds several (an Aider
    /// chat history); `None` = the whole file.
    pub span: Option<(u64, u64)>,
}

/// Which transcript format a source is in (and so which adapter reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Format {
    /// Claude Code JSONL (`~/.claude/projects`).
    #[default]
    ClaudeCode,
    /// Gemini CLI session JSON (`~/.gemini/tmp/<project>/chats/session-*.json[l]`).
    GeminiCli,
    /// SpecStory Markdown export (Cursor chats, or any agent SpecStory saves).
    SpecStory,
    /// Aider `.aider.chat.history.md` (one file, many sessions).
    Aider,
    /// OpenHands trajectory (a JSON list of events).
    OpenHands,
    /// SWE-agent `.traj` trajectory.
    SweAgent,
    /// OpenAI Codex CLI rollout (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, or the
    /// TypeScript CLI's `rollout-*.json`).
    Codex,
    /// pi (pi-coding-agent) and its fork Oh My Pi: session JSONL
    /// (`~/.pi/agent/sessions/--<cwd>--/*.jsonl`, `~/.omp/agent/sessions/…`).
    Pi,
    /// GitHub Copilot CLI (`~/.copilot/session-state/<id>/events.jsonl`).
    CopilotCli,
    /// OpenCode: the `opencode export` JSON document, its `storage/` tree, `opencode.db`.
    OpenCode,
    /// Cursor's own agent transcripts (`~/.cursor/projects/<p>/agent-transcripts/*.jsonl|.txt`).
    Cursor,
    /// Qwen Code (`~/.qwen/projects/<project>/chats/<session>.jsonl`).
    QwenCode,
    /// Cline, Roo Code, Kilo Code: a task folder's `ui_messages.json`.
    Cline,
}

impl Format {
    /// Every format, in the order adapters were added. The one list of agents: a format's
    /// short name ([`Format::as_str`]) and the agent name its sessions carry ([`Format::agent`]).
    pub const ALL: [Format; 13] = [
        Format::ClaudeCode,
        Format::GeminiCli,
        Format::SpecStory,
        Format::Aider,
        Format::OpenHands,
        Format::SweAgent,
        Format::Codex,
        Format::Pi,
        Format::CopilotCli,
        Format::OpenCode,
        Format::Cursor,
        Format::QwenCode,
        Format::Cline,
    ];
    /// The agent name (`Session::agent.name`) of this format's sessions: the agent that wrote
    /// them (a SpecStory export is of a Cursor chat).
    pub fn agent(self) -> &'static str {
        match self {
            Format::SpecStory => "cursor",
            Format::Codex => "codex-cli",
            other => other.as_str(),
        }
    }
    /// Stable short name of the format.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::ClaudeCode => "claude-code",
            Format::GeminiCli => "gemini-cli",
            Format::SpecStory => "specstory",
            Format::Aider => "aider",
            Format::OpenHands => "openhands",
            Format::SweAgent => "swe-agent",
            Format::Codex => "codex-cli",
            Format::Pi => "pi",
            Format::CopilotCli => "copilot-cli",
            Format::OpenCode => "opencode",
            Format::Cursor => "cursor",
            Format::QwenCode => "qwen-code",
            Format::Cline => "cline",
        }
    }
}

/// The files of one session: main transcript(s) first (oldest first), then subagents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSource {
    /// Session id, never the path: the format's own id when discovery can see it (`sessionId`
    /// of Claude Code records, else the file stem; an OpenCode database's session id), else one
    /// derived from the file's first bytes, which the adapter replaces with the file's own id
    /// when it records one (crate::ident, docs/FORMATS.md "Session ids").
    pub id: String,
    pub files: Vec<SourceFile>,
    /// The transcript format, which decides the adapter.
    pub format: Format,
}

impl SessionSource {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
    /// The main transcript's path (or the first file's).
    pub fn main_path(&self) -> &Path {
        &self.files[0].path
    }
}
