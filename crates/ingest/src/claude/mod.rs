//! The Claude Code adapter: JSONL records (CLI 1.0.x … 2.1.x) → [`Session`].
//!
//! Record types used: `user`, `assistant`, `system` (compact boundaries, local commands),
//! `attachment` (`queued_command`), `queue-operation`, `permission-mode`, `pr-link`, and the
//! `agent_progress` kind of `progress` (subagent messages streamed into the parent file).
//! Everything else is counted in `Session::ignored_records` under a named reason.
//!
//! By concern: this file streams a session's files; `records.rs` is the records' shapes,
//! `text.rs` tells a user text block's kind, `graph.rs` builds the session (the `parentUuid`
//! graph, subagents, results), `tools.rs` maps tool names to kinds and caps kept output.

use crate::diag::Diagnostics;
use crate::lax::{Block, Content, IfObject, Lax, LaxOpt};
use crate::reader::{parse_line, Line, LineReader};
use crate::skim::Skimmer;
use crate::source::{FileRole, SessionSource};
use crate::IngestOptions;
use agentstat_session::{
    parse_timestamp, Action, ActionKind, ActionResult, AssistantText, Event, HumanTurn, LineDelta,
    Millis, ModelCall, ResultStatus, Session, SubagentInfo, SystemNote, ToolInput,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap, HashSet};

mod graph;
mod records;
mod text;
mod tools;

use graph::*;
pub(crate) use records::*;
#[allow(unused_imports)]
use text::*;
pub use text::{classify_text, TextKind};
pub use tools::{cap_output, tool_kind, OUTPUT_CAP};

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
    let session = crate::build::SessionBuilder {
        id: b.session_id.take(),
        version: b.version.take(),
        // The working directory names the person's home (the user key).
        paths: b.project.iter().cloned().collect(),
        project: b.project.take(),
        git_branch: b.branch.take(),
        entrypoint: b.entrypoint.take(),
        events,
        model_calls: std::mem::take(&mut b.calls),
        compactions: b.compactions,
        pr_links: b.pr_links,
        subagents: b.subagents.into_values().collect(),
        source_files: Some(files_read),
        ignored: b.ignored,
        ..Default::default()
    };
    Some(session.build(crate::source::Format::ClaudeCode, src, opts, diag))
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
