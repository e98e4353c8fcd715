//! A shell call's input built as text: `exec_command`'s arguments (`{"cmd": SCRIPT, "workdir":
//! …}`, most of a Codex file's tool calls) become what [`super::classify_call`] makes of them —
//! the same object with `command` set to the script — by adding that one member to the
//! arguments' own JSON text, and `shell_command`'s (`{"command": SCRIPT, …}`) are kept as they
//! are. The members' raw texts are written out verbatim, instead of parsing every member into a
//! `Value`, copying the script twice and writing the whole object back out (escaping the script
//! twice).
//!
//! The input reads the same (`ToolInput::value`, `get_str`, its serialization) as the general
//! path's; only the raw text differs (member order and spacing), which nothing reads. The
//! arguments take this path only where the general one is known to give that object; anything
//! else (`None`) goes the general way.

use std::fmt;

use agentstat_session::ToolInput;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// The input of a shell call whose `arguments` text is `args`, when `args` is an object of
/// scalars with a string `command` or `cmd`, no `argv`, no key written with escapes or twice,
/// and a script that cannot be a patch. The general path's result is then `args` itself when
/// the script is in `command` (`shell_command`), else `args` with `command` added, equal to
/// `cmd` (`exec_command`).
///
/// Exactness: the general path parses `args` into a `Value` (it would fail, and keep `args` as
/// one string, where a member does not parse: each member but the script is parsed into a
/// `Value` here too, and the script's text holds no `\u` escape, the one failure a skipped
/// string does not show); it reads an argv from `command` or `input` only when that is an array
/// (none is here), the script from `command` when present, else from `cmd`; and it sees a
/// patch only in a script that names `apply_patch` or `applypatch` (no `apply` here).
pub(super) fn shell_input(args: &str) -> Option<ToolInput> {
    let Members(members) = serde_json::from_str(args).ok()?;
    let (mut command, mut cmd) = (None, None);
    for (i, (k, v)) in members.iter().enumerate() {
        if *k == "argv" || members[..i].iter().any(|m| m.0 == *k) {
            return None;
        }
        match *k {
            "command" => command = Some(i),
            "cmd" => cmd = Some(i),
            _ => {}
        }
        if v.get().starts_with(['{', '[']) {
            return None;
        }
    }
    let script = command.or(cmd)?;
    for (i, (_, v)) in members.iter().enumerate() {
        let text = v.get();
        if i != script {
            serde_json::from_str::<Value>(text).ok()?;
        } else if !text.starts_with('"')
            || memchr::memmem::find(text.as_bytes(), b"\\u").is_some()
            || memchr::memmem::find(text.as_bytes(), b"apply").is_some()
        {
            return None;
        }
    }
    // The members written back as they are (a raw value is written verbatim: nothing is
    // escaped, nothing parsed again), and `cmd` once more as `command` when that is absent.
    let added = command.is_none().then(|| members[script].1);
    serde_json::value::to_raw_value(&Object(&members, added))
        .ok()
        .map(ToolInput::from_raw)
}

/// An object of raw members, and a raw `command` added after them.
struct Object<'m, 'a>(&'m [(&'a str, &'a RawValue)], Option<&'a RawValue>);

impl Serialize for Object<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let added = self.1.map(|c| ("command", c));
        s.collect_map(self.0.iter().copied().chain(added))
    }
}

/// An object's members in order: keys as written (a key with escapes fails the parse), values
/// as raw JSON.
struct Members<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MembersVisitor(std::marker::PhantomData))
    }
}

struct MembersVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for MembersVisitor<'a> {
    type Value = Members<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'a>, A::Error> {
        let mut v = Vec::with_capacity(8);
        while let Some(entry) = map.next_entry::<&'de str, &'de RawValue>()? {
            v.push(entry);
        }
        Ok(Members(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_session::ActionKind;

    /// The general path: the arguments parsed as `codex::response_item` does, then classified.
    fn general(tool: &str, args: &str) -> (ActionKind, Value) {
        let v = serde_json::from_str::<Value>(args).unwrap_or_else(|_| Value::String(args.into()));
        let (kind, input, lines) = super::super::classify_call(tool, v);
        assert!(lines.is_none() || kind != ActionKind::Shell);
        (kind, input)
    }

    #[test]
    fn exec_command_arguments_read_as_the_general_path_reads_them() {
        let args = r#"{"cmd":"sed -n '1,20p' \"a b.rs\"\nrg -n x","workdir":"/w","yield_time_ms":1e3,"max_output_tokens":6000,"ok":true,"n":null} "#;
        let got = shell_input(args).expect("the fast path");
        assert_eq!(
            general("exec_command", args),
            (ActionKind::Shell, got.value())
        );
        assert_eq!(
            got.get_str("command").as_deref(),
            Some("sed -n '1,20p' \"a b.rs\"\nrg -n x")
        );
        let args = r#"{"command":"ls -la","cmd":"pwd","input":3,"workdir":"/w"}"#;
        let got = shell_input(args).expect("the fast path");
        assert_eq!(
            general("shell_command", args),
            (ActionKind::Shell, got.value())
        );
        assert_eq!(got.get_str("command").as_deref(), Some("ls -la"));
    }

    #[test]
    fn other_shapes_go_the_general_way() {
        for args in [
            r#"{"command":["bash","-lc","ls"],"cmd":"x"}"#,
            r#"{"cmd":"ls","argv":"x"}"#,
            r#"{"command":"ls","input":["x"]}"#,
            r#"{"command":1,"cmd":"ls"}"#,
            r#"{"cmd":"ls","cmd":"pwd"}"#,
            r#"{"c\u006dd":"ls"}"#,
            r#"{"cmd":"ls","env":{"A":"1"}}"#,
            r#"{"cmd":["ls"]}"#,
            r#"{"cmd":"apply_patch <<'EOF'\n*** Begin Patch\n*** End Patch\nEOF"}"#,
            r#"{"cmd":"\u0061pply_patch"}"#,
            r#"{"cmd":"ls","big":1e400}"#,
            r#"{"cmd":"ls","s":"\ud800"}"#,
            r#"{"workdir":"/w"}"#,
            r#"["cmd","ls"]"#,
            r#"{"cmd":"ls"} x"#,
            "",
        ] {
            assert!(shell_input(args).is_none(), "{args}");
        }
    }

    /// Member values: strings (some with escapes, a surrogate, a patch's name), numbers (some
    /// out of range), literals, and an array and an object.
    const VALUE: &str = r#"("[a-z &'\n\\"/é-]{0,12}"|"apply_patch"|"\\u0041"|"\\ud800"|-?[0-9]{1,3}(\.[0-9])?(e[0-9]{1,3})?|true|null|\["ls"\]|\{\})"#;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Wherever the fast path answers, its input reads as the general path's.
        #[test]
        fn the_fast_path_reads_as_the_general_one(
            mut members in proptest::collection::vec(
                (
                    r#"(cmd|workdir|command|input|argv|yield_time_ms|c\\u006dd|x)"#,
                    VALUE,
                ),
                0..4,
            ),
            cmd in r#""([a-z &'/é-]|\\[n"\\/t]|apply|\\u0041|\\ud800|apply_patch <<EOF\\n\*\*\* Begin Patch\\n\*\*\* End Patch){0,12}""#,
            at: usize,
            space in "[ \n]{0,2}",
            tool in "(exec_command|shell|shell_command|unified_exec)",
        ) {
            // A script always, in `cmd` or `command`, somewhere among the other members.
            let key = if at % 3 == 0 { "command" } else { "cmd" };
            members.insert(at % (members.len() + 1), (key.into(), cmd));
            let body: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let args = format!("{space}{{{}}}{space}", body.join(&format!(",{space}")));
            if let Some(got) = shell_input(&args) {
                proptest::prop_assert_eq!(general(&tool, &args), (ActionKind::Shell, got.value()));
            }
        }
    }
}
