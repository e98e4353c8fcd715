//! [`SessionBuilder`]: what every adapter does once it knows what a record means — collect
//! events, pair tool calls with their results, count records read and deliberately not used,
//! and turn all that into a [`Session`] (or warn that the session was empty). An adapter that
//! uses it is only its format.

use crate::common;
use crate::diag::Diagnostics;
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::{
    Action, ActionKind, ActionResult, AgentInfo, Event, LineDelta, Millis, ModelCall, ResultStatus,
    Session, SubagentInfo, ToolInput, TrackedLines,
};
use std::collections::{BTreeMap, HashMap};

/// A session being read. Fields an adapter knows go in directly; events through the methods.
#[derive(Default)]
pub(crate) struct SessionBuilder {
    /// The agent's own session id (else the source's id).
    pub id: Option<String>,
    /// Agent version as recorded.
    pub version: Option<String>,
    pub project: Option<String>,
    pub git_branch: Option<String>,
    pub entrypoint: Option<String>,
    /// Paths that may name the person's home directory (cwd first), for the user key.
    pub paths: Vec<String>,
    pub events: Vec<Event>,
    pub model_calls: Vec<ModelCall>,
    pub compactions: u32,
    pub pr_links: Vec<String>,
    pub subagents: Vec<SubagentInfo>,
    /// The agent's name when the file names another than its format's (a SpecStory v2 export
    /// of a Claude Code chat); else [`Format::agent`].
    pub agent: Option<String>,
    /// See [`AgentInfo::edits_applied_after_reply`].
    pub edits_applied_after_reply: bool,
    /// Files the session was read from, when not all of the source's (one file of several).
    pub source_files: Option<Vec<String>>,
    /// Records read and deliberately not used, by reason.
    pub ignored: BTreeMap<String, u64>,
    /// See [`Session::tracked_lines`].
    pub tracked_lines: Option<TrackedLines>,
    /// Tool-call id → index of its action in `events`, until its result comes.
    pub(crate) open: HashMap<String, usize>,
}

impl SessionBuilder {
    /// A record read and deliberately not turned into an event (docs/FORMATS.md says why).
    pub fn ignore(&mut self, kind: &str) {
        *self.ignored.entry(kind.to_string()).or_default() += 1;
    }

    /// A tool call, whose result may come later ([`SessionBuilder::result`]).
    #[allow(clippy::too_many_arguments)]
    pub fn action(
        &mut self,
        id: &str,
        tool: &str,
        kind: ActionKind,
        input: ToolInput,
        timestamp: Option<Millis>,
        lines: Option<LineDelta>,
    ) {
        if !id.is_empty() {
            self.open.insert(id.to_string(), self.events.len());
        }
        self.events.push(Event::Action(Action {
            id: id.to_string(),
            tool: tool.to_string(),
            kind,
            input,
            timestamp,
            subagent: None,
            result: ActionResult {
                lines,
                ..ActionResult::default()
            },
        }));
    }

    /// The result of the tool call `id`; `false` when no such call is waiting for one.
    pub fn result(
        &mut self,
        id: &str,
        status: ResultStatus,
        output: String,
        timestamp: Option<Millis>,
        exit_code: Option<i32>,
    ) -> bool {
        let Some(i) = self.open.remove(id) else {
            return false;
        };
        if let Some(Event::Action(a)) = self.events.get_mut(i) {
            a.result.status = status;
            a.result.output = crate::claude::cap_output(output.into());
            a.result.timestamp = timestamp;
            a.result.exit_code = exit_code;
            if status != ResultStatus::Ok {
                a.result.lines = None;
            }
        }
        true
    }

    /// The session, or `None` (with an `empty-session` warning) when it holds no event. Counts
    /// the ignored records into `diag` either way.
    pub fn finish(
        self,
        format: Format,
        src: &SessionSource,
        opts: &IngestOptions,
        diag: &mut Diagnostics,
        name: &str,
    ) -> Option<Session> {
        if self.events.is_empty() {
            for (k, v) in &self.ignored {
                diag.ignore(k, *v);
            }
            diag.warn(name, None, "empty-session", "no messages in this session");
            return None;
        }
        Some(self.build(format, src, opts, diag))
    }

    /// The session, whatever it holds (an adapter with its own emptiness rule — Claude Code's —
    /// applies it before): the one place a [`Session`] is put together. Counts the session and
    /// its ignored records into `diag`.
    pub fn build(
        mut self,
        format: Format,
        src: &SessionSource,
        opts: &IngestOptions,
        diag: &mut Diagnostics,
    ) -> Session {
        for (k, v) in &self.ignored {
            diag.ignore(k, *v);
        }
        self.ignored.retain(|_, v| *v > 0);
        diag.sessions += 1;
        let user = common::user_key(opts, self.paths.iter().map(String::as_str));
        Session {
            id: self.id.unwrap_or_else(|| src.id.clone()),
            agent: AgentInfo {
                name: self.agent.unwrap_or_else(|| format.agent().to_string()),
                version: self.version,
                edits_applied_after_reply: self.edits_applied_after_reply,
            },
            source_files: self.source_files.unwrap_or_else(|| {
                src.files
                    .iter()
                    .map(|f| f.path.display().to_string())
                    .collect()
            }),
            project: self.project,
            git_branch: self.git_branch,
            user,
            entrypoint: self.entrypoint,
            events: self.events,
            model_calls: self.model_calls,
            subagents: self.subagents,
            pr_links: self.pr_links,
            compactions: self.compactions,
            ignored_records: self.ignored,
            tracked_lines: self.tracked_lines,
        }
    }
}

/// Each JSON object of a JSONL buffer, with its 1-based line, in order; damaged lines are
/// reported into `diag` by [`crate::reader::parse_line`] (glued records are split, a cut line
/// is a skip naming the file and line). Counts the records read.
pub(crate) fn jsonl_values(
    buf: &[u8],
    name: &str,
    diag: &mut Diagnostics,
    mut f: impl FnMut(serde_json::Value, u64, &mut Diagnostics),
) {
    let mut recs: Vec<serde_json::Value> = Vec::new();
    for (i, line) in buf.split(|&c| c == b'\n').enumerate() {
        let no = i as u64 + 1;
        let n = crate::reader::parse_line(line, name, no, diag, |b| {
            recs.push(serde_json::from_slice(b)?);
            Ok(())
        });
        diag.records += n;
        for v in recs.drain(..) {
            f(v, no, diag);
        }
    }
}

/// `v[k]` as a string.
pub(crate) fn str_of<'a>(v: &'a serde_json::Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(serde_json::Value::as_str)
}

/// `v[k]` as an RFC 3339 timestamp, or a number of milliseconds since the epoch.
pub(crate) fn time_of(v: &serde_json::Value, k: &str) -> Option<Millis> {
    match v.get(k)? {
        serde_json::Value::String(s) => agentstat_session::parse_timestamp(s),
        serde_json::Value::Number(n) => n.as_i64().filter(|&t| t > 0),
        _ => None,
    }
}

/// `v[k]` as an unsigned count (0 when absent).
pub(crate) fn u64_of(v: &serde_json::Value, k: &str) -> u64 {
    v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

/// Parse one JSON record into a `Value`, skipping (without building them) the members named in
/// `skip`, at any depth: fields no adapter reads that repeat or bloat a record (a tool result's
/// display copy, reasoning text, extension state). What is skipped is still validated.
pub(crate) fn parse_skipping(
    bytes: &[u8],
    skip: &'static [&'static str],
) -> Result<serde_json::Value, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Skipping(skip).deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

#[derive(Clone, Copy)]
struct Skipping(&'static [&'static str]);

impl<'de> serde::de::DeserializeSeed<'de> for Skipping {
    type Value = serde_json::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Skipping {
    type Value = serde_json::Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v)
            .map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(serde_json::Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(serde_json::Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = a.next_element_seed(self)? {
            v.push(x);
        }
        Ok(serde_json::Value::Array(v))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut m = serde_json::Map::new();
        while let Some(k) = a.next_key::<std::borrow::Cow<'de, str>>()? {
            if self.0.contains(&k.as_ref()) {
                a.next_value::<serde::de::IgnoredAny>()?;
            } else {
                let v = a.next_value_seed(self)?;
                m.insert(k.into_owned(), v);
            }
        }
        Ok(serde_json::Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_members_are_left_out_at_any_depth_but_still_validated() {
        let v = parse_skipping(
            br#"{"a":1,"details":{"big":"x"},"m":{"details":[1,2],"keep":"y"},"l":[{"details":0,"z":true}]}"#,
            &["details"],
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "m": {"keep": "y"}, "l": [{"z": true}]})
        );
        assert!(parse_skipping(br#"{"details":{"cut":"#, &["details"]).is_err());
        assert!(parse_skipping(br#"{"a":1} trailing"#, &["details"]).is_err());
    }
}
