//! The Claude Code adapter: JSONL records (CLI 1.0.x … 2.1.x) → [`Session`].
//!
//! Record types used: `user`, `assistant`, `system` (compact boundaries, local commands),
//! `attachment` (`queued_command`), `queue-operation`, `permission-mode`, `pr-link`, and the
//! `agent_progress` kind of `progress` (subagent messages streamed into the parent file).
//! Everything else is counted in `Session::ignored_records` under a named reason.

use crate::diag::Diagnostics;
use crate::discover::{FileRole, SessionSource};
use crate::lax::{Block, Content, IfObject, Lax, LaxOpt};
use crate::reader::{parse_line, Line, LineReader};
use crate::skim::Skimmer;
use crate::IngestOptions;
use agentstat_session::{
    parse_timestamp, Action, ActionKind, ActionResult, AgentInfo, AssistantText, Event, HumanTurn,
    LineDelta, Millis, ModelCall, ResultStatus, Session, SubagentInfo, SystemNote, ToolInput,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Tool output kept per result: head and tail around a marker, so error tails survive.
pub const OUTPUT_CAP: usize = 16 * 1024;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rec<'a> {
    #[serde(rename = "type", borrow, default)]
    pub ty: Lax<'a>,
    #[serde(borrow, default)]
    pub uuid: Lax<'a>,
    #[serde(borrow, default)]
    pub parent_uuid: Lax<'a>,
    #[serde(borrow, default)]
    pub logical_parent_uuid: Lax<'a>,
    #[serde(borrow, default)]
    pub session_id: Lax<'a>,
    #[serde(borrow, default)]
    pub is_sidechain: Lax<'a>,
    #[serde(borrow, default)]
    pub is_meta: Lax<'a>,
    #[serde(borrow, default)]
    pub is_compact_summary: Lax<'a>,
    #[serde(borrow, default)]
    pub is_api_error_message: Lax<'a>,
    #[serde(borrow, default)]
    pub agent_id: Lax<'a>,
    #[serde(borrow, default)]
    pub cwd: Lax<'a>,
    #[serde(borrow, default)]
    pub git_branch: Lax<'a>,
    #[serde(borrow, default)]
    pub version: Lax<'a>,
    #[serde(borrow, default)]
    pub entrypoint: Lax<'a>,
    #[serde(borrow, default)]
    pub permission_mode: Lax<'a>,
    #[serde(borrow, default)]
    pub timestamp: Lax<'a>,
    #[serde(borrow, default)]
    pub request_id: Lax<'a>,
    #[serde(borrow, default)]
    pub subtype: Lax<'a>,
    #[serde(borrow, default)]
    pub operation: Lax<'a>,
    #[serde(borrow, default, rename = "parentToolUseID")]
    pub parent_tool_use_id: Lax<'a>,
    #[serde(borrow, default)]
    pub content: Content<'a>,
    #[serde(borrow, default)]
    pub message: IfObject<Msg<'a>>,
    #[serde(borrow, default)]
    pub tool_use_result: IfObject<ToolUseResult<'a>>,
    #[serde(borrow, default)]
    pub data: IfObject<Progress<'a>>,
    #[serde(borrow, default)]
    pub attachment: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub compact_metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub pr_url: Lax<'a>,
    #[serde(borrow, default)]
    pub pr_number: Lax<'a>,
    #[serde(borrow, default)]
    pub pr_repository: Lax<'a>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Msg<'a> {
    #[serde(borrow, default)]
    pub id: Lax<'a>,
    #[serde(borrow, default)]
    pub model: Lax<'a>,
    #[serde(borrow, default)]
    pub content: Content<'a>,
    #[serde(default)]
    pub usage: IfObject<Usage>,
}

#[derive(Deserialize, Default, Clone, Copy)]
pub(crate) struct Usage {
    #[serde(default)]
    input_tokens: Option<f64>,
    #[serde(default)]
    output_tokens: Option<f64>,
    #[serde(default)]
    cache_read_input_tokens: Option<f64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ToolUseResult<'a> {
    #[serde(rename = "type", borrow, default)]
    ty: Lax<'a>,
    #[serde(borrow, default)]
    content: Lax<'a>,
    #[serde(default)]
    structured_patch: Option<PatchCount>,
    #[serde(borrow, default)]
    interrupted: Lax<'a>,
    #[serde(borrow, default)]
    exit_code: Lax<'a>,
    #[serde(default)]
    stdout: Option<serde::de::IgnoredAny>,
    #[serde(borrow, default)]
    agent_id: Lax<'a>,
    #[serde(borrow, default)]
    agent_type: Lax<'a>,
}

/// A `structuredPatch` (list of hunks, each with `lines`), reduced while parsing to what is
/// used: the number of hunks and of `+` / `-` lines. Accepts and rejects exactly what
/// `Vec<IfObject<Hunk { lines: Vec<Lax> }>>` would, without allocating for every line.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct PatchCount {
    /// Elements of the list, objects or not.
    hunks: usize,
    added: u64,
    removed: u64,
}

impl<'de> Deserialize<'de> for PatchCount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
        use std::fmt;

        /// Counts `+` / `-` first bytes of the strings in one `lines` list.
        struct Lines<'c>(&'c mut PatchCount);
        impl<'de> de::DeserializeSeed<'de> for Lines<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Lines<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while let Some(FirstByte(b)) = seq.next_element::<FirstByte>()? {
                    match b {
                        Some(b'+') => self.0.added += 1,
                        Some(b'-') => self.0.removed += 1,
                        _ => {}
                    }
                }
                Ok(())
            }
        }

        /// The first byte of a string (escaped strings are not copied); any other value is
        /// skipped, as `Lax` would.
        struct FirstByte(Option<u8>);
        impl<'de> Deserialize<'de> for FirstByte {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = FirstByte;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<FirstByte, E> {
                        Ok(FirstByte(v.as_bytes().first().copied()))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_none<E: de::Error>(self) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_some<D: serde::Deserializer<'de>>(
                        self,
                        d: D,
                    ) -> Result<FirstByte, D::Error> {
                        d.deserialize_any(self)
                    }
                    fn visit_seq<A: SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> Result<FirstByte, A::Error> {
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(FirstByte(None))
                    }
                    fn visit_map<A: MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<FirstByte, A::Error> {
                        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        Ok(FirstByte(None))
                    }
                }
                d.deserialize_any(V)
            }
        }

        /// A hunk's key: is it `lines`?
        struct IsLines(bool);
        impl<'de> Deserialize<'de> for IsLines {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = IsLines;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("field identifier")
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<IsLines, E> {
                        Ok(IsLines(v == 0))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<IsLines, E> {
                        Ok(IsLines(v == "lines"))
                    }
                    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<IsLines, E> {
                        Ok(IsLines(v == b"lines"))
                    }
                }
                d.deserialize_identifier(V)
            }
        }

        /// One element of the list: a hunk object, or anything else (counted, not read).
        struct Hunk<'c>(&'c mut PatchCount);
        impl<'de> de::DeserializeSeed<'de> for Hunk<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> Visitor<'de> for Hunk<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                let mut seen = false;
                while let Some(IsLines(is)) = map.next_key::<IsLines>()? {
                    if !is {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    if seen {
                        return Err(de::Error::duplicate_field("lines"));
                    }
                    seen = true;
                    // Counted straight into the total: an error fails the whole record anyway.
                    map.next_value_seed(Lines(&mut *self.0))?;
                }
                Ok(())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
                Ok(())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
                Ok(())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
                Ok(())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
                Ok(())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
                Ok(())
            }
            fn visit_unit<E: de::Error>(self) -> Result<(), E> {
                Ok(())
            }
            fn visit_none<E: de::Error>(self) -> Result<(), E> {
                Ok(())
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }

        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = PatchCount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PatchCount, A::Error> {
                let mut c = PatchCount::default();
                while seq.next_element_seed(Hunk(&mut c))?.is_some() {
                    c.hunks += 1;
                }
                Ok(c)
            }
        }
        d.deserialize_seq(List)
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Progress<'a> {
    #[serde(rename = "type", borrow, default)]
    ty: Lax<'a>,
    #[serde(borrow, default)]
    agent_id: Lax<'a>,
    #[serde(borrow, default)]
    /// Boxed: only `agent_progress` records carry one (the others allocate nothing).
    message: IfObject<Box<Rec<'a>>>,
}

#[derive(Deserialize, Default)]
struct Attachment<'a> {
    #[serde(rename = "type", borrow, default)]
    ty: Lax<'a>,
    #[serde(borrow, default)]
    prompt: Content<'a>,
    #[serde(borrow, default)]
    content: Content<'a>,
}

#[derive(Deserialize, Default)]
struct CompactMeta<'a> {
    #[serde(borrow, default)]
    trigger: Lax<'a>,
}

/// Normalized kind of a Claude Code tool name (names across CLI versions).
pub fn tool_kind(name: &str) -> ActionKind {
    match name {
        "Read" | "NotebookRead" | "View" => ActionKind::Read,
        "Glob" | "Grep" | "LS" | "GlobTool" | "GrepTool" | "LSP" => ActionKind::Search,
        "Edit" | "MultiEdit" | "NotebookEdit" | "Replace" | "NotebookEditCell" => ActionKind::Edit,
        "Write" => ActionKind::Write,
        "Bash" | "BashOutput" | "TaskOutput" | "KillShell" | "KillBash" | "TaskStop"
        | "Monitor" | "PowerShell" => ActionKind::Shell,
        "WebFetch" | "WebSearch" => ActionKind::Web,
        "Task" | "Agent" => ActionKind::Subagent,
        "TodoWrite" | "TodoRead" | "TaskCreate" | "TaskUpdate" | "TaskList" | "TaskGet"
        | "ExitPlanMode" | "EnterPlanMode" => ActionKind::Plan,
        n if n.starts_with("mcp__") => {
            let l = n.to_ascii_lowercase();
            const WEB: [&str; 9] = [
                "search",
                "fetch",
                "browser",
                "web",
                "tavily",
                "firecrawl",
                "exa",
                "perplexity",
                "brave",
            ];
            if WEB.iter().any(|w| l.contains(w)) {
                ActionKind::Web
            } else {
                ActionKind::Other
            }
        }
        _ => ActionKind::Other,
    }
}

/// Keep the head and tail of a long output around a visible marker (char-boundary safe).
pub fn cap_output(s: std::borrow::Cow<'_, str>) -> String {
    if s.len() <= OUTPUT_CAP {
        return s.into_owned();
    }
    let half = OUTPUT_CAP / 2;
    let mut h = half;
    while !s.is_char_boundary(h) {
        h -= 1;
    }
    let mut t = s.len() - half;
    while !s.is_char_boundary(t) {
        t += 1;
    }
    format!("{}\n[… {} bytes truncated …]\n{}", &s[..h], t - h, &s[t..])
}

/// What a user-side text block is.
#[derive(Debug, PartialEq)]
pub enum TextKind {
    Prompt(String),
    Interrupt,
    System(&'static str),
}

const BUILTIN_LOCAL_COMMANDS: &[&str] = &[
    "add-dir",
    "agents",
    "bashes",
    "bug",
    "clear",
    "compact",
    "config",
    "context",
    "cost",
    "doctor",
    "exit",
    "export",
    "feedback",
    "help",
    "hooks",
    "ide",
    "install-github-app",
    "login",
    "logout",
    "mcp",
    "memory",
    "migrate-installer",
    "model",
    "output-style",
    "permissions",
    "plugin",
    "plugins",
    "privacy-settings",
    "quit",
    "release-notes",
    "resume",
    "rewind",
    "sandbox",
    "status",
    "statusline",
    "stats",
    "tasks",
    "terminal-setup",
    "theme",
    "todos",
    "upgrade",
    "usage",
    "vim",
    "fast",
    "files",
    "skills",
    "rename",
    "teleport",
    "remote-env",
];

fn tag_body<'t>(s: &'t str, tag: &str) -> Option<&'t str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let i = s.find(&open)? + open.len();
    let j = s[i..].find(&close)? + i;
    Some(&s[i..j])
}

/// Remove CLI-injected wrappers that ride along with typed text.
fn strip_injected(s: &str) -> String {
    if !s.contains('<') {
        // No tag can be there: spare the searches.
        return s.trim().to_string();
    }
    let mut out = s.to_string();
    for tag in [
        "system-reminder",
        "ide_opened_file",
        "ide_selection",
        "ide_diagnostics",
        "user-prompt-submit-hook",
    ] {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        while let Some(i) = out.find(&open) {
            match out[i..].find(&close) {
                Some(j) => out.replace_range(i..i + j + close.len(), ""),
                None => {
                    out.truncate(i);
                    break;
                }
            }
        }
    }
    out.trim().to_string()
}

/// Classify one piece of user-side text from the main thread (not meta, not a summary).
pub fn classify_text(text: &str) -> TextKind {
    let t = text.trim_start();
    if t.starts_with("[Request interrupted by user") {
        return TextKind::Interrupt;
    }
    if t.starts_with("<command-name>") || t.starts_with("<command-message>") {
        let name = tag_body(t, "command-name")
            .unwrap_or("")
            .trim()
            .trim_start_matches('/');
        if name.is_empty() || BUILTIN_LOCAL_COMMANDS.contains(&name) {
            return TextKind::System("command");
        }
        // A custom, plugin or prompt command (e.g. `/review`, `/init`): the person typed it to
        // instruct the agent; its expansion (the next, meta record) is not counted.
        let args = tag_body(t, "command-args").unwrap_or("").trim();
        let p = if args.is_empty() {
            format!("/{name}")
        } else {
            format!("/{name} {args}")
        };
        return TextKind::Prompt(p);
    }
    if t.starts_with("<local-command-stdout>")
        || t.starts_with("<local-command-stderr>")
        || t.starts_with("<local-command-caveat>")
        || t.starts_with(
            "Caveat: The messages below were generated by the user while running local commands",
        )
    {
        return TextKind::System("local_command");
    }
    if t.starts_with("<bash-input>")
        || t.starts_with("<bash-stdout>")
        || t.starts_with("<bash-stderr>")
    {
        return TextKind::System("bash_echo");
    }
    if t.starts_with("<user-memory-input>") {
        return TextKind::System("memory");
    }
    if t.starts_with("<task-notification>") || t.starts_with("<agent-notification>") {
        return TextKind::System("notification");
    }
    if t.starts_with("This session is being continued from a previous conversation") {
        return TextKind::System("compact_summary");
    }
    let cleaned = strip_injected(t);
    if cleaned.is_empty() {
        return TextKind::System("reminder");
    }
    TextKind::Prompt(cleaned)
}

fn is_rejection(text: &str) -> bool {
    // The CLI puts the marker first; looking further would scan whole tool outputs.
    let mut end = text.len().min(400);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    if text.starts_with("User rejected") {
        return true;
    }
    // Both markers share a stem: find it with memchr instead of building two substring
    // searchers for every tool result.
    const STEM: &str = "The user doesn't want to ";
    let b = text.as_bytes();
    memchr::memchr_iter(b'T', b).any(|i| {
        b[i..].starts_with(STEM.as_bytes()) && {
            let rest = &b[i + STEM.len()..];
            rest.starts_with(b"proceed with this tool use")
                || rest.starts_with(b"take this action right now")
        }
    })
}

/// One record turned into what the session needs, owned; ordered later. Uuids are kept as
/// 64-bit hashes: only equality matters for the graph, and hashes need no allocation.
struct Node {
    uuid: Option<u64>,
    parent: Option<u64>,
    ts: Option<Millis>,
    events: Vec<Event>,
}

/// Hasher for keys that are already hashes (uuid and message-id hashes): no second SipHash.
#[derive(Default, Clone, Copy)]
struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; fold anything else in so the hasher stays correct.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashedSet = HashSet<u64, std::hash::BuildHasherDefault<PreHashed>>;
type HashedMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<PreHashed>>;

#[derive(Default)]
struct Builder {
    main: Vec<Node>,
    /// Subagent nodes by subagent id.
    subs: BTreeMap<String, Vec<Node>>,
    /// Events without a place in the graph (queued prompts): merged by time.
    timed: Vec<Event>,
    /// Hashes of record uuids seen (resumes and streamed copies repeat records).
    seen_uuids: HashedSet,
    /// Hashes of tool-use ids seen.
    seen_tool_ids: HashedSet,
    results: HashMap<String, ActionResult>,
    calls: Vec<ModelCall>,
    /// Hash of (message id, request id) → index in `calls`.
    call_index: HashedMap<usize>,
    subagents: BTreeMap<String, SubagentInfo>,
    /// agent id → agent type, learnt from Task results.
    agent_types: HashMap<String, String>,
    task_types: HashMap<String, String>,
    pr_links: Vec<String>,
    compactions: u32,
    ignored: BTreeMap<String, u64>,
    project: Option<String>,
    branch: Option<String>,
    version: Option<String>,
    entrypoint: Option<String>,
    session_id: Option<String>,
    mode: Option<String>,
    /// Queue: enqueued texts awaiting their fate (`dequeue` = delivered as a normal prompt
    /// record, `remove` = delivered into the running turn, `popAll` = pulled back to the input).
    queue: Vec<(String, Option<Millis>)>,
    queued_prompts: HashSet<String>,
    /// Reused buffer for composed ignore reasons.
    key_buf: String,
}

impl Builder {
    fn ignore(&mut self, reason: &str) {
        match self.ignored.get_mut(reason) {
            Some(n) => *n += 1,
            None => {
                self.ignored.insert(reason.to_string(), 1);
            }
        }
    }

    /// `ignore("{prefix}{kind}")` without formatting a new string for every record.
    fn ignore2(&mut self, prefix: &str, kind: &str) {
        let mut key = std::mem::take(&mut self.key_buf);
        key.clear();
        key.push_str(prefix);
        key.push_str(kind);
        self.ignore(&key);
        self.key_buf = key;
    }

    fn note_meta(&mut self, r: &Rec<'_>, main: bool) {
        if !main {
            return;
        }
        if self.project.is_none() {
            self.project = r.cwd.s().map(str::to_string);
        }
        if self.branch.is_none() {
            self.branch = r
                .git_branch
                .s()
                .filter(|b| *b != "HEAD")
                .map(str::to_string);
        }
        if let Some(v) = r.version.s() {
            if self.version.as_deref() != Some(v) {
                self.version = Some(v.to_string());
            }
        }
        if self.entrypoint.is_none() {
            self.entrypoint = r.entrypoint.s().map(str::to_string);
        }
        if self.session_id.is_none() {
            self.session_id = r.session_id.s().map(str::to_string);
        }
    }

    /// Handle one top-level record. `sub` is the subagent id when the file is a subagent's.
    fn record(
        &mut self,
        r: &mut Rec<'_>,
        sub: Option<&str>,
        file: &str,
        line: u64,
        diag: &mut Diagnostics,
    ) {
        let inline_side = sub.is_none() && r.is_sidechain.b();
        // Inline sidechains name their subagent in the record itself: owned, since `r` moves.
        let inline_id: Option<String> = if inline_side {
            let id = r.agent_id.s().unwrap_or("sidechain");
            if !self.subagents.contains_key(id) {
                self.subagents.insert(
                    id.to_string(),
                    SubagentInfo {
                        id: id.to_string(),
                        layout: "inline".into(),
                        ..Default::default()
                    },
                );
            }
            Some(id.to_string())
        } else {
            None
        };
        let sub_id: Option<&str> = sub.or(inline_id.as_deref());
        self.note_meta(r, sub_id.is_none());
        enum Then {
            Message,
            System,
            Progress,
            Attachment,
            Queue,
            Done,
        }
        let then = match r.ty.s().unwrap_or("") {
            "user" | "assistant" => Then::Message,
            "system" => Then::System,
            "progress" => Then::Progress,
            "attachment" => Then::Attachment,
            "queue-operation" => Then::Queue,
            "permission-mode" => {
                if let Some(m) = r.permission_mode.s() {
                    self.mode = Some(m.to_string());
                }
                Then::Done
            }
            "pr-link" => {
                let link = r.pr_url.s().map(str::to_string).or_else(|| {
                    let n = r.pr_number.n()?;
                    Some(format!(
                        "{}#{}",
                        r.pr_repository.s().unwrap_or("?"),
                        n as u64
                    ))
                });
                match link {
                    Some(l) if !self.pr_links.contains(&l) => self.pr_links.push(l),
                    Some(_) => self.ignore("pr-link-duplicate"),
                    None => self.ignore("pr-link-without-url"),
                }
                Then::Done
            }
            ty @ ("summary"
            | "file-history-snapshot"
            | "last-prompt"
            | "custom-title"
            | "ai-title"
            | "agent-name"
            | "teleported-from"
            | "mode"
            | "tag"
            | "worktree-state"
            // File-history backup changes, the remote-control bridge's link, an artifact link.
            | "file-history-delta"
            | "bridge-session"
            | "frame-link") => {
                self.ignore(ty);
                Then::Done
            }
            "" => {
                diag.skip(
                    file,
                    Some(line),
                    "record-without-type",
                    "record has no \"type\" field",
                );
                Then::Done
            }
            other => {
                self.ignore2("unknown:", other);
                diag.skip(
                    file,
                    Some(line),
                    "unknown-record-type",
                    format!("record type {other:?} is not known"),
                );
                Then::Done
            }
        };
        match then {
            Then::Message => self.message(r, sub_id, file, line, diag),
            Then::System => self.system(r, sub_id),
            Then::Progress => self.progress(r, file, line, diag),
            Then::Attachment => self.attachment(r),
            Then::Queue => self.queue_op(r),
            Then::Done => {}
        }
    }

    fn push_node(&mut self, sub: Option<&str>, node: Node) {
        match sub {
            None => self.main.push(node),
            Some(s) => match self.subs.get_mut(s) {
                Some(v) => v.push(node),
                None => {
                    self.subs.insert(s.to_string(), vec![node]);
                }
            },
        }
    }

    fn message(
        &mut self,
        r: &mut Rec<'_>,
        sub: Option<&str>,
        file: &str,
        line: u64,
        diag: &mut Diagnostics,
    ) {
        let uuid = r.uuid.s().map(hash_str);
        if let Some(u) = uuid {
            if !self.seen_uuids.insert(u) {
                self.ignore("duplicate-uuid");
                return;
            }
        }
        let ts = r.timestamp.s().and_then(parse_timestamp);
        let Some(msg) = r.message.0.take() else {
            diag.skip(
                file,
                Some(line),
                "missing-message",
                "user/assistant record without a message object",
            );
            return;
        };
        let mut node = Node {
            uuid,
            parent: r
                .parent_uuid
                .s()
                .or(r.logical_parent_uuid.s())
                .map(hash_str),
            ts,
            events: Vec::new(),
        };
        let is_assistant = r.ty.s() == Some("assistant");
        if let Some(u) = msg.usage.0 {
            let counts = [
                u.input_tokens,
                u.output_tokens,
                u.cache_read_input_tokens,
                u.cache_creation_input_tokens,
            ];
            if counts
                .iter()
                .flatten()
                .any(|x| *x > crate::ABSURD_TOKENS as f64)
            {
                diag.warn(
                    file,
                    Some(line),
                    "absurd-value",
                    "a token count above 10^10 for one call (sums saturate; check the file)",
                );
            }
        }
        if is_assistant {
            self.assistant(r, msg, sub, ts, &mut node);
        } else {
            self.user(r, msg, sub, ts, &mut node);
        }
        self.push_node(sub, node);
    }

    fn assistant(
        &mut self,
        r: &Rec<'_>,
        msg: Msg<'_>,
        sub: Option<&str>,
        ts: Option<Millis>,
        node: &mut Node,
    ) {
        let model = msg.model.s().map(str::to_string);
        let synthetic = r.is_api_error_message.b() || model.as_deref() == Some("<synthetic>");
        if let (false, Some(mid)) = (synthetic, msg.id.s()) {
            let rid = r.request_id.s().unwrap_or("");
            let key = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (mid, rid).hash(&mut h);
                h.finish()
            };
            let u = msg.usage.0.unwrap_or_default();
            let tok = |v: Option<f64>| v.map(|x| x.max(0.0) as u64).unwrap_or(0);
            let idx = match self.call_index.get(&key) {
                Some(&i) => i,
                None => {
                    self.calls.push(ModelCall {
                        message_id: mid.to_string(),
                        request_id: (!rid.is_empty()).then(|| rid.to_string()),
                        model: model.clone(),
                        timestamp: ts,
                        subagent: sub.map(str::to_string),
                        ..Default::default()
                    });
                    self.call_index.insert(key, self.calls.len() - 1);
                    self.calls.len() - 1
                }
            };
            // Lines of one response repeat (or grow) the usage: keep the largest figure.
            let c = &mut self.calls[idx];
            c.input_tokens = c.input_tokens.max(tok(u.input_tokens));
            c.output_tokens = c.output_tokens.max(tok(u.output_tokens));
            c.cache_read_tokens = c.cache_read_tokens.max(tok(u.cache_read_input_tokens));
            c.cache_creation_tokens = c
                .cache_creation_tokens
                .max(tok(u.cache_creation_input_tokens));
        }
        let blocks = match msg.content {
            Content::Text(t) => vec![Block {
                ty: Lax::Str("text".into()),
                text: Lax::Str(t),
                ..Default::default()
            }],
            Content::Blocks(b) => b,
            Content::None => Vec::new(),
        };
        for b in blocks {
            match b.ty.s() {
                Some("text") => {
                    let text = b.text.s().unwrap_or("");
                    if text.trim().is_empty() || synthetic {
                        continue;
                    }
                    node.events.push(Event::AssistantText(AssistantText {
                        text: text.to_string(),
                        timestamp: ts,
                        model: model.clone(),
                        subagent: sub.map(str::to_string),
                    }));
                }
                Some("tool_use") | Some("server_tool_use") => {
                    let id = b.id.s().unwrap_or("").to_string();
                    if !id.is_empty() && !self.seen_tool_ids.insert(hash_str(&id)) {
                        continue;
                    }
                    let tool = b.name.s().unwrap_or("").to_string();
                    let input = b.input.map_or_else(ToolInput::null, ToolInput::from_raw);
                    if tool == "Task" || tool == "Agent" {
                        if let Some(t) = input.get_str("subagent_type") {
                            self.task_types.insert(id.clone(), t.to_string());
                        }
                    }
                    node.events.push(Event::Action(Action {
                        kind: tool_kind(&tool),
                        id,
                        tool,
                        input,
                        timestamp: ts,
                        subagent: sub.map(str::to_string),
                        result: ActionResult::default(),
                    }));
                }
                _ => {}
            }
        }
    }

    fn user(
        &mut self,
        r: &mut Rec<'_>,
        msg: Msg<'_>,
        sub: Option<&str>,
        ts: Option<Millis>,
        node: &mut Node,
    ) {
        let meta = r.is_meta.b();
        let summary = r.is_compact_summary.b();
        let mode = r
            .permission_mode
            .s()
            .map(str::to_string)
            .or_else(|| self.mode.clone());
        let (texts, results, attachments): (Vec<String>, Vec<Block<'_>>, u32) = match msg.content {
            Content::Text(t) => (vec![t.into_owned()], Vec::new(), 0),
            Content::Blocks(bs) => {
                let mut texts = Vec::new();
                let mut results = Vec::new();
                let mut att = 0;
                for b in bs {
                    match b.ty.s() {
                        Some("tool_result") => results.push(b),
                        Some("text") => texts.push(b.text.s().unwrap_or("").to_string()),
                        Some("image") | Some("document") => att += 1,
                        _ => {}
                    }
                }
                (texts, results, att)
            }
            Content::None => (Vec::new(), Vec::new(), 0),
        };
        let has_results = !results.is_empty();
        let single = results.len() == 1;
        let mut tur = if single {
            r.tool_use_result.0.take()
        } else {
            None
        };
        for b in results {
            self.tool_result(b, tur.take().unwrap_or_default(), ts, sub, node);
        }
        let mut prompt_parts: Vec<String> = Vec::new();
        for t in texts {
            if sub.is_some() {
                // The parent agent's instructions to its subagent, or the subagent's own
                // interrupt marker: never the person's prompt.
                if classify_text(&t) == TextKind::Interrupt {
                    node.events.push(Event::Interrupt {
                        timestamp: ts,
                        subagent: sub.map(str::to_string),
                    });
                } else {
                    self.ignore("subagent-prompt");
                }
                continue;
            }
            if summary {
                node.events.push(sys("compact_summary", t, ts));
                continue;
            }
            if meta {
                node.events.push(sys("meta", t, ts));
                continue;
            }
            match classify_text(&t) {
                TextKind::Interrupt => node.events.push(Event::Interrupt {
                    timestamp: ts,
                    subagent: None,
                }),
                TextKind::System(kind) => node.events.push(sys(kind, t, ts)),
                TextKind::Prompt(p) => prompt_parts.push(p),
            }
        }
        if sub.is_none()
            && !meta
            && !summary
            && (!prompt_parts.is_empty() || (attachments > 0 && !has_results))
        {
            let text = prompt_parts.join("\n");
            let queued = has_results || self.queued_prompts.contains(text.trim());
            node.events.push(Event::Human(HumanTurn {
                text,
                timestamp: ts,
                queued,
                permission_mode: mode,
                attachments,
            }));
        }
    }

    fn tool_result(
        &mut self,
        b: Block<'_>,
        tur: ToolUseResult<'_>,
        ts: Option<Millis>,
        sub: Option<&str>,
        node: &mut Node,
    ) {
        let id = b.tool_use_id.s().unwrap_or("").to_string();
        let text = b.content.into_text();
        let is_error = b.is_error.b();
        let mut status = if is_rejection(&text) {
            ResultStatus::Rejected
        } else if text
            .trim_start()
            .starts_with("[Request interrupted by user")
            || tur.interrupted.b()
        {
            ResultStatus::Interrupted
        } else if is_error {
            ResultStatus::Error
        } else {
            ResultStatus::Ok
        };
        if status == ResultStatus::Interrupted {
            node.events.push(Event::Interrupt {
                timestamp: ts,
                subagent: sub.map(str::to_string),
            });
        }
        let mut exit_code = tur.exit_code.n().map(|n| n as i32);
        if exit_code.is_none() {
            if let Some(rest) = text
                .strip_prefix("Exit code ")
                .or_else(|| text.strip_prefix("Error: Exit code "))
            {
                exit_code = rest
                    .split(|c: char| !c.is_ascii_digit() && c != '-')
                    .next()
                    .and_then(|d| d.parse().ok());
            } else if status == ResultStatus::Ok && tur.stdout.is_some() {
                // Bash reports failures as errors with "Exit code N"; a clean result exited 0.
                exit_code = Some(0);
            }
        }
        if status == ResultStatus::Ok && exit_code.is_some_and(|c| c != 0) {
            status = ResultStatus::Error;
        }
        let mut lines = None;
        if let Some(p) = tur.structured_patch {
            if p.hunks > 0 || tur.ty.s() == Some("update") {
                lines = Some(LineDelta {
                    added: p.added,
                    removed: p.removed,
                });
            }
        }
        if tur.ty.s() == Some("create") && lines.is_none_or(|d| d.added == 0 && d.removed == 0) {
            lines = Some(LineDelta {
                added: tur
                    .content
                    .s()
                    .map(agentstat_session::lines::count_lines)
                    .unwrap_or(0),
                removed: 0,
            });
        }
        if let (Some(aid), Some(at)) = (tur.agent_id.s(), tur.agent_type.s()) {
            self.agent_types.insert(aid.to_string(), at.to_string());
        } else if let (Some(aid), Some(t)) = (tur.agent_id.s(), self.task_types.get(&id)) {
            self.agent_types.insert(aid.to_string(), t.clone());
        }
        if id.is_empty() {
            return;
        }
        self.results.entry(id).or_insert(ActionResult {
            status,
            output: cap_output(text),
            timestamp: ts,
            lines,
            exit_code,
        });
    }

    fn system(&mut self, r: &Rec<'_>, sub: Option<&str>) {
        let in_sub = sub.is_some();
        let ts = r.timestamp.s().and_then(parse_timestamp);
        let uuid = r.uuid.s().map(hash_str);
        if let Some(u) = uuid {
            if !self.seen_uuids.insert(u) {
                self.ignore("duplicate-uuid");
                return;
            }
        }
        let parent = r
            .parent_uuid
            .s()
            .or(r.logical_parent_uuid.s())
            .map(hash_str);
        let ev = match r.subtype.s() {
            Some("compact_boundary") if !in_sub => {
                self.compactions += 1;
                let trigger = r
                    .compact_metadata
                    .and_then(|raw| serde_json::from_str::<CompactMeta<'_>>(raw.get()).ok())
                    .and_then(|m| m.trigger.s().map(str::to_string));
                Event::Compaction {
                    timestamp: ts,
                    trigger,
                }
            }
            Some("local_command") if !in_sub => sys("local_command", r.content.joined_text(), ts),
            other => {
                self.ignore2("system:", other.unwrap_or("hook"));
                // Still a graph node, so children hang below it.
                self.push_node(
                    sub,
                    Node {
                        uuid,
                        parent,
                        ts,
                        events: Vec::new(),
                    },
                );
                return;
            }
        };
        self.push_node(
            sub,
            Node {
                uuid,
                parent,
                ts,
                events: vec![ev],
            },
        );
    }

    fn progress(&mut self, r: &mut Rec<'_>, file: &str, line: u64, diag: &mut Diagnostics) {
        let Some(p) = r.data.0.take() else {
            self.ignore("progress:without-data");
            return;
        };
        let Progress {
            ty,
            agent_id,
            message,
        } = p;
        let kind = ty.s().unwrap_or("unknown");
        if kind != "agent_progress" {
            self.ignore2("progress:", kind);
            return;
        }
        let (Some(aid), Some(mut inner)) = (agent_id.s(), message.0) else {
            self.ignore("progress:agent_progress-empty");
            return;
        };
        if !self.subagents.contains_key(aid) {
            self.subagents.insert(
                aid.to_string(),
                SubagentInfo {
                    id: aid.to_string(),
                    layout: "inline".into(),
                    is_compaction: aid.starts_with("acompact"),
                    ..Default::default()
                },
            );
        }
        if let Some(t) = r
            .parent_tool_use_id
            .s()
            .and_then(|id| self.task_types.get(id))
        {
            if !self.agent_types.contains_key(aid) {
                self.agent_types.insert(aid.to_string(), t.clone());
            }
        }
        match inner.ty.s() {
            Some("user") | Some("assistant") => {
                // Streamed copies of the subagent's own records: no parent links, so they are
                // ordered by time within the subagent.
                self.message(&mut inner, Some(aid), file, line, diag)
            }
            _ => self.ignore("progress:agent_progress-other"),
        }
    }

    fn attachment(&mut self, r: &Rec<'_>) {
        let Some(raw) = r.attachment else {
            self.ignore("attachment:empty");
            return;
        };
        let a: Attachment<'_> = serde_json::from_str(raw.get()).unwrap_or_default();
        let kind = a.ty.s().unwrap_or("unknown");
        if kind == "queued_command" {
            let mut text = a.prompt.joined_text();
            if text.is_empty() {
                text = a.content.joined_text();
            }
            let ts = r.timestamp.s().and_then(parse_timestamp);
            if let TextKind::Prompt(p) = classify_text(&text) {
                let key = p.trim().to_string();
                if self.queued_prompts.insert(key.clone()) {
                    // The matching `remove` queue operation must not count it again.
                    self.queue.retain(|(t, _)| t.trim() != key);
                    let uuid = r.uuid.s().map(hash_str);
                    let parent = r.parent_uuid.s().map(hash_str);
                    let ev = Event::Human(HumanTurn {
                        text: p,
                        timestamp: ts,
                        queued: true,
                        permission_mode: self.mode.clone(),
                        attachments: 0,
                    });
                    self.main.push(Node {
                        uuid,
                        parent,
                        ts,
                        events: vec![ev],
                    });
                }
                return;
            }
        }
        self.ignore2("attachment:", kind);
    }

    fn queue_op(&mut self, r: &Rec<'_>) {
        let ts = r.timestamp.s().and_then(parse_timestamp);
        match r.operation.s() {
            Some("enqueue") => {
                let t = r.content.joined_text();
                if !t.trim().is_empty() {
                    self.queue.push((t, ts));
                }
            }
            // Delivered as an ordinary user record that follows: counted there. (CLI 2.0.x
            // logs enqueue/dequeue for every submitted prompt, so this is not a queued one.)
            Some("dequeue") if !self.queue.is_empty() => {
                self.queue.remove(0);
            }
            // Consumed by the running turn: the only trace of a prompt typed while the agent
            // worked (CLI 2.x), so it is a queued human turn.
            Some("remove") if !self.queue.is_empty() => {
                let (t, ets) = self.queue.remove(0);
                // A queued slash command runs as its own command record: not counted here.
                let kind = if t.trim_start().starts_with('/') {
                    TextKind::System("command")
                } else {
                    classify_text(&t)
                };
                if let TextKind::Prompt(p) = kind {
                    if self.queued_prompts.insert(p.trim().to_string()) {
                        self.timed.push(Event::Human(HumanTurn {
                            text: p,
                            timestamp: ets.or(ts),
                            queued: true,
                            permission_mode: self.mode.clone(),
                            attachments: 0,
                        }));
                    }
                } else {
                    self.ignore("queue:not-a-prompt");
                }
            }
            // Pulled back into the input box; if sent, it arrives as a normal user record.
            Some("popAll") => self.queue.clear(),
            _ => {}
        }
        self.ignore("queue-operation");
    }
}

/// 64-bit hash of an id (uuids, tool-use ids): eight bytes per step and a final avalanche,
/// several times cheaper than SipHash; ids are not adversarial, only equality matters.
fn hash_str(s: &str) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let b = s.as_bytes();
    let mut h = (b.len() as u64).wrapping_mul(K);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    // murmur3 fmix64.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn sys(kind: &str, text: String, ts: Option<Millis>) -> Event {
    Event::System(SystemNote {
        kind: kind.to_string(),
        text,
        timestamp: ts,
    })
}

/// Order nodes along the `parentUuid` graph: depth-first from each root, children in
/// arrival order. Nodes whose parent is unknown start a new root (resumes, compaction).
fn graph_order(nodes: Vec<Node>) -> Vec<Node> {
    let n = nodes.len();
    let mut index: HashedMap<usize> = HashedMap::default();
    index.reserve(n);
    for (i, nd) in nodes.iter().enumerate() {
        if let Some(u) = nd.uuid {
            // The last node with a uuid wins, as before.
            index.insert(u, i);
        }
    }
    // Children in arrival order, stored contiguously per parent (no Vec per node).
    let parent_of: Vec<Option<usize>> = nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| match nd.parent.and_then(|p| index.get(&p)) {
            Some(&p) if p != i => Some(p),
            _ => None,
        })
        .collect();
    let mut start = vec![0usize; n + 1];
    for p in parent_of.iter().flatten() {
        start[p + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut children = vec![0usize; start[n]];
    let mut roots = Vec::new();
    for (i, p) in parent_of.iter().enumerate() {
        match p {
            Some(p) => {
                children[fill[*p]] = i;
                fill[*p] += 1;
            }
            None => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut visited = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    for &r in &roots {
        stack.push(r);
        while let Some(i) = stack.pop() {
            if visited[i] {
                continue;
            }
            visited[i] = true;
            order.push(i);
            for &c in children[start[i]..start[i + 1]].iter().rev() {
                stack.push(c);
            }
        }
    }
    // Cycles (corrupt parent links) leave nodes unvisited: keep them in arrival order.
    order.extend((0..n).filter(|&i| !visited[i]));
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Insert `extra` (sorted by time) into `main` before the first event that is later.
fn merge_by_time(main: Vec<Event>, mut extra: Vec<Event>) -> Vec<Event> {
    if extra.is_empty() {
        return main;
    }
    extra.sort_by_key(|e| e.timestamp().unwrap_or(i64::MAX));
    let mut out = Vec::with_capacity(main.len() + extra.len());
    let mut it = extra.into_iter().peekable();
    for e in main {
        if let Some(t) = e.timestamp() {
            while it
                .peek()
                .is_some_and(|x| x.timestamp().is_some_and(|xt| xt < t))
            {
                out.push(it.next().unwrap_or_else(|| unreachable!()));
            }
        }
        out.push(e);
    }
    out.extend(it);
    out
}

/// Read every file of a session source and build the normalized session.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let mut b = Builder::default();
    let mut files_read = Vec::new();
    for f in &src.files {
        let name = f.path.display().to_string();
        let sub: Option<String> = match &f.role {
            FileRole::Main => None,
            FileRole::Subagent {
                agent_id,
                layout,
                agent_type,
                ..
            } => {
                let id = agent_id.clone().unwrap_or_else(|| {
                    f.path
                        .file_stem()
                        .map(|s| s.to_string_lossy().trim_start_matches("agent-").to_string())
                        .unwrap_or_default()
                });
                let info = b
                    .subagents
                    .entry(id.clone())
                    .or_insert_with(|| SubagentInfo {
                        id: id.clone(),
                        ..Default::default()
                    });
                info.layout = layout.clone();
                info.is_compaction = id.starts_with("acompact");
                if info.agent_type.is_none() {
                    info.agent_type = agent_type
                        .clone()
                        .or_else(|| info.is_compaction.then(|| "compact".to_string()));
                }
                Some(id)
            }
        };
        if read_file(&f.path, &name, sub.as_deref(), &mut b, diag) {
            files_read.push(name);
        }
    }
    if files_read.is_empty() {
        return None;
    }
    if b.main.is_empty() && b.subs.is_empty() && b.timed.is_empty() && b.pr_links.is_empty() {
        diag.warn(
            &files_read[0],
            None,
            "empty-session",
            "no conversation records in this session",
        );
        return None;
    }
    // Agent types learnt from Task results fill in what `.meta.json` did not say.
    for (id, info) in b.subagents.iter_mut() {
        if info.agent_type.is_none() {
            info.agent_type = b.agent_types.get(id).cloned();
        }
    }
    let main_nodes = graph_order(std::mem::take(&mut b.main));
    let mut events: Vec<Event> = main_nodes.into_iter().flat_map(|n| n.events).collect();
    let mut extra = std::mem::take(&mut b.timed);
    for (_, nodes) in std::mem::take(&mut b.subs) {
        let mut nodes = graph_order(nodes);
        // Streamed (progress) copies carry no parent links: keep them in time order.
        if nodes.iter().all(|n| n.parent.is_none()) {
            nodes.sort_by_key(|n| n.ts.unwrap_or(i64::MAX));
        }
        extra.extend(nodes.into_iter().flat_map(|n| n.events));
    }
    events = merge_by_time(events, extra);
    let mut results = std::mem::take(&mut b.results);
    for e in events.iter_mut() {
        if let Event::Action(a) = e {
            if let Some(mut r) = results.remove(&a.id) {
                if a.kind == ActionKind::Read && r.status == ResultStatus::Ok {
                    // A file the agent read is the user's file, not the session's behaviour:
                    // nothing downstream reads it, so it is not kept (and `skim` spares
                    // decoding it at all on most lines).
                    r.output = String::new();
                }
                a.result = r;
            }
        }
    }
    let identity = opts
        .user_label
        .clone()
        .or_else(|| {
            b.project
                .as_deref()
                .and_then(crate::user::identity_from_cwd)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".to_string());
    let mut ignored = std::mem::take(&mut b.ignored);
    for (k, v) in &ignored {
        diag.ignore(k, *v);
    }
    ignored.retain(|_, v| *v > 0);
    diag.sessions += 1;
    Some(Session {
        id: b.session_id.clone().unwrap_or_else(|| src.id.clone()),
        agent: AgentInfo {
            name: "claude-code".into(),
            version: b.version.clone(),
            edits_applied_after_reply: false,
        },
        source_files: files_read,
        project: b.project.clone(),
        git_branch: b.branch.clone(),
        user: crate::user::user_key(&opts.salt, &identity),
        entrypoint: b.entrypoint.clone(),
        events,
        model_calls: std::mem::take(&mut b.calls),
        subagents: b.subagents.into_values().collect(),
        pr_links: b.pr_links,
        compactions: b.compactions,
        ignored_records: ignored,
    })
}

/// Stream one file into the builder. Returns false when nothing could be read from it.
fn read_file(
    path: &std::path::Path,
    name: &str,
    sub: Option<&str>,
    b: &mut Builder,
    diag: &mut Diagnostics,
) -> bool {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            diag.skip(name, None, "unreadable-file", e.to_string());
            return false;
        }
    };
    diag.files += 1;
    let mut reader = LineReader::new(std::io::BufReader::with_capacity(0, file));
    let mut first = true;
    let mut skimmer = Skimmer::default();
    loop {
        let (no, line) = match reader.next_line() {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) => {
                diag.skip(name, None, "read-error", e.to_string());
                break;
            }
        };
        diag.lines += 1;
        match line {
            Line::TooLong(n) => diag.skip(
                name,
                Some(no),
                "line-too-long",
                format!("{n} bytes, over the line cap"),
            ),
            Line::Data(d) => {
                if first {
                    first = false;
                    if looks_binary(d) {
                        diag.skip(
                            name,
                            Some(no),
                            "binary-file",
                            "file is not JSON text; skipped",
                        );
                        diag.bytes += reader.bytes_read();
                        return false;
                    }
                }
                let mut rec_diag = Diagnostics::default();
                let n = parse_line(d, name, no, diag, |bytes| {
                    // Long values of ignored fields are cut first (see `skim`); a skimmed line
                    // that does not parse is parsed again as it was, so errors read the same.
                    if let Some(skimmed) = skimmer.skim(bytes) {
                        if let Ok(mut rec) = parse_rec(skimmed) {
                            b.record(&mut rec, sub, name, no, &mut rec_diag);
                            return Ok(());
                        }
                    }
                    let mut rec = parse_rec(bytes)?;
                    b.record(&mut rec, sub, name, no, &mut rec_diag);
                    Ok(())
                });
                diag.records += n;
                if rec_diag.warnings_total > 0 || !rec_diag.ignored.is_empty() {
                    diag.merge(rec_diag);
                }
            }
        }
    }
    diag.bytes += reader.bytes_read();
    if reader.bytes_read() == 0 {
        diag.warn(name, None, "empty-file", "file is empty");
    }
    true
}

/// One record from one JSON value's bytes. One (SIMD) UTF-8 check of the whole value is cheaper
/// than serde_json's check of every key and kept string; invalid bytes keep the byte path (bad
/// bytes in skipped fields are tolerated there, as before).
fn parse_rec(bytes: &[u8]) -> Result<Rec<'_>, serde_json::Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => serde_json::from_str(s),
        Err(_) => serde_json::from_slice(bytes),
    }
}

fn looks_binary(first_line: &[u8]) -> bool {
    let head = &first_line[..first_line.len().min(8192)];
    memchr::memchr(0, head).is_some()
        || (head
            .first()
            .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'{' && *c != b'[')
            && std::str::from_utf8(head).is_err())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape `PatchCount` replaced, kept here as the reference it must agree with.
    #[derive(Deserialize)]
    struct RefHunk<'a> {
        #[serde(borrow, default)]
        lines: Vec<Lax<'a>>,
    }

    #[derive(Deserialize)]
    struct RefTur<'a> {
        #[serde(borrow, default, rename = "structuredPatch")]
        p: Option<Vec<IfObject<RefHunk<'a>>>>,
    }

    #[derive(Deserialize)]
    struct NewTur {
        #[serde(default, rename = "structuredPatch")]
        p: Option<PatchCount>,
    }

    fn reference(json: &str) -> Result<Option<(usize, u64, u64)>, String> {
        let t: RefTur<'_> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(t.p.map(|hunks| {
            let (mut a, mut r) = (0, 0);
            for h in hunks.iter().filter_map(|h| h.0.as_ref()) {
                for l in &h.lines {
                    match l.str().and_then(|s| s.as_bytes().first()) {
                        Some(b'+') => a += 1,
                        Some(b'-') => r += 1,
                        _ => {}
                    }
                }
            }
            (hunks.len(), a, r)
        }))
    }

    fn counted(json: &str) -> Result<Option<(usize, u64, u64)>, String> {
        let t: NewTur = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(t.p.map(|p| (p.hunks, p.added, p.removed)))
    }

    #[test]
    fn patch_count_agrees_with_the_typed_hunks() {
        for json in [
            r#"{}"#,
            r#"{"structuredPatch":null}"#,
            r#"{"structuredPatch":[]}"#,
            r#"{"structuredPatch":[{"lines":["+a","-b"," c","+\"q\"","-\\x",""]}]}"#,
            r#"{"structuredPatch":[{"oldStart":1,"lines":["+a"]},{"lines":[]},{}]}"#,
            r#"{"structuredPatch":[1,"x",null,[2],{"lines":["+a",5,null,["+"],{"+":1}]}]}"#,
            r#"{"structuredPatch":[{"lines":["+a"],"lines":["+b"]}]}"#,
            r#"{"structuredPatch":[{"lines":null}]}"#,
            r#"{"structuredPatch":[{"lines":"+a"}]}"#,
            r#"{"structuredPatch":{"lines":["+a"]}}"#,
            r#"{"structuredPatch":"+a"}"#,
            r#"{"structuredPatch":[{"li\u006ees":["\u002ba","\u002d"]}]}"#,
        ] {
            assert_eq!(counted(json), reference(json), "{json}");
        }
    }

    #[test]
    fn rejection_markers_found_only_near_the_start() {
        assert!(is_rejection("User rejected the edit"));
        assert!(is_rejection(
            "Error: The user doesn't want to proceed with this tool use. The tool use was rejected"
        ));
        assert!(is_rejection(
            "The Tool: The user doesn't want to take this action right now."
        ));
        assert!(!is_rejection("The user doesn't want to wait"));
        let late = format!(
            "{}The user doesn't want to proceed with this tool use",
            "x".repeat(500)
        );
        assert!(!is_rejection(&late));
    }
}
