//! Records into a session: the per-session builder, the `parentUuid` graph that orders
//! records (resumes, sidechains), and merging subagents' events by time.

#[allow(unused_imports)]
use super::*;

/// One record turned into what the session needs, owned; ordered later. Uuids are kept as
/// 64-bit hashes: only equality matters for the graph, and hashes need no allocation.
pub(super) struct Node {
    pub(super) uuid: Option<u64>,
    pub(super) parent: Option<u64>,
    pub(super) ts: Option<Millis>,
    pub(super) events: Vec<Event>,
}

/// Hasher for keys that are already hashes (uuid and message-id hashes): no second SipHash.
#[derive(Default, Clone, Copy)]
pub(super) struct PreHashed(u64);

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
pub(super) struct Builder {
    pub(super) main: Vec<Node>,
    /// Subagent nodes by subagent id.
    pub(super) subs: BTreeMap<String, Vec<Node>>,
    /// Events without a place in the graph (queued prompts): merged by time.
    pub(super) timed: Vec<Event>,
    /// Hashes of record uuids seen (resumes and streamed copies repeat records).
    pub(super) seen_uuids: HashedSet,
    /// Hashes of tool-use ids seen.
    pub(super) seen_tool_ids: HashedSet,
    pub(super) results: HashMap<String, ActionResult>,
    pub(super) calls: Vec<ModelCall>,
    /// Hash of (message id, request id) → index in `calls`.
    pub(super) call_index: HashedMap<usize>,
    pub(super) subagents: BTreeMap<String, SubagentInfo>,
    /// agent id → agent type, learnt from Task results.
    pub(super) agent_types: HashMap<String, String>,
    pub(super) task_types: HashMap<String, String>,
    pub(super) pr_links: Vec<String>,
    pub(super) compactions: u32,
    pub(super) ignored: BTreeMap<String, u64>,
    pub(super) project: Option<String>,
    pub(super) branch: Option<String>,
    pub(super) version: Option<String>,
    pub(super) entrypoint: Option<String>,
    pub(super) session_id: Option<String>,
    pub(super) mode: Option<String>,
    /// Queue: enqueued texts awaiting their fate (`dequeue` = delivered as a normal prompt
    /// record, `remove` = delivered into the running turn, `popAll` = pulled back to the input).
    pub(super) queue: Vec<(String, Option<Millis>)>,
    pub(super) queued_prompts: HashSet<String>,
    /// Reused buffer for composed ignore reasons.
    pub(super) key_buf: String,
}

impl Builder {
    pub(super) fn ignore(&mut self, reason: &str) {
        match self.ignored.get_mut(reason) {
            Some(n) => *n += 1,
            None => {
                self.ignored.insert(reason.to_string(), 1);
            }
        }
    }

    /// `ignore("{prefix}{kind}")` without formatting a new string for every record.
    pub(super) fn ignore2(&mut self, prefix: &str, kind: &str) {
        let mut key = std::mem::take(&mut self.key_buf);
        key.clear();
        key.push_str(prefix);
        key.push_str(kind);
        self.ignore(&key);
        self.key_buf = key;
    }

    pub(super) fn note_meta(&mut self, r: &Rec<'_>, main: bool) {
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
    pub(super) fn record(
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

    pub(super) fn push_node(&mut self, sub: Option<&str>, node: Node) {
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

    pub(super) fn message(
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

    pub(super) fn assistant(
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

    pub(super) fn user(
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

    pub(super) fn tool_result(
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

    pub(super) fn system(&mut self, r: &Rec<'_>, sub: Option<&str>) {
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

    pub(super) fn progress(
        &mut self,
        r: &mut Rec<'_>,
        file: &str,
        line: u64,
        diag: &mut Diagnostics,
    ) {
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

    pub(super) fn attachment(&mut self, r: &Rec<'_>) {
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

    pub(super) fn queue_op(&mut self, r: &Rec<'_>) {
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
pub(super) fn hash_str(s: &str) -> u64 {
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

pub(super) fn sys(kind: &str, text: String, ts: Option<Millis>) -> Event {
    Event::System(SystemNote {
        kind: kind.to_string(),
        text,
        timestamp: ts,
    })
}

/// Order nodes along the `parentUuid` graph: depth-first from each root, children in
/// arrival order. Nodes whose parent is unknown start a new root (resumes, compaction).
pub(super) fn graph_order(nodes: Vec<Node>) -> Vec<Node> {
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
pub(super) fn merge_by_time(main: Vec<Event>, mut extra: Vec<Event>) -> Vec<Event> {
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
