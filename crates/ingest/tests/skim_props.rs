//! Property test of `skim`: on random records, the skimmed line is exactly the record written
//! again with the long string values of the skimmed keys emptied (an oracle that works on the
//! structure, not on bytes), and every line with a tool input is left alone.

use agentstat_ingest::skim::{Skimmer, MIN_SKIP};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Val {
    Str(String),
    Num(u32),
    Obj(Vec<(String, Val)>),
}

/// Keys the skimmer cuts when their value is a long string.
const CUT: &[&str] = &[
    "originalFile",
    "originalFileContents",
    "thinking",
    "signature",
    "data",
    "stdout",
    "stderr",
    "oldString",
    "newString",
];
/// Keys it must never touch (read by the adapter, or just other keys).
const KEEP: &[&str] = &["content", "text", "type", "uuid", "message", "x"];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(CUT).prop_map(str::to_string),
        4 => prop::sample::select(KEEP).prop_map(str::to_string),
        1 => Just("input".to_string()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    // Quotes, backslashes, control characters, multi-byte text, and long runs.
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\t".to_string()),
        Just("\u{1}".to_string()),
        Just("é€😀".to_string()),
        Just("\":\"".to_string()),
        Just("\"data\":\"".to_string()),
        "[a-z ]{1,40}",
        "[a-z]{1,4}".prop_map(|s| s.repeat(150)),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn val() -> impl Strategy<Value = Val> {
    let leaf = prop_oneof![text().prop_map(Val::Str), any::<u32>().prop_map(Val::Num)];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop::collection::vec((key(), inner), 0..6).prop_map(Val::Obj)
    })
}

fn write(v: &Val, cut: bool, out: &mut String) {
    match v {
        Val::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
        Val::Num(n) => out.push_str(&n.to_string()),
        Val::Obj(fields) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                match v {
                    Val::Str(s)
                        if cut
                            && CUT.contains(&k.as_str())
                            && serde_json::to_string(s).unwrap().len() - 2 >= MIN_SKIP =>
                    {
                        out.push_str("\"\"")
                    }
                    _ => write(v, cut, out),
                }
            }
            out.push('}');
        }
    }
}

fn has_input(v: &Val) -> bool {
    match v {
        Val::Obj(fields) => fields.iter().any(|(k, v)| k == "input" || has_input(v)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn skim_empties_exactly_the_long_ignored_values(fields in prop::collection::vec((key(), val()), 0..8)) {
        let rec = Val::Obj(fields);
        let mut line = String::new();
        write(&rec, false, &mut line);
        let mut expected = String::new();
        write(&rec, !has_input(&rec), &mut expected);
        let mut sk = Skimmer::default();
        let got = sk.skim(line.as_bytes()).map(|b| String::from_utf8(b.to_vec()).unwrap());
        match got {
            // Nothing cut: there was nothing to cut (short lines are not even searched).
            None => prop_assert!(expected == line || line.len() < 2 * MIN_SKIP),
            Some(g) => {
                prop_assert_eq!(&g, &expected);
                // Still one valid JSON value.
                prop_assert!(serde_json::from_str::<serde_json::Value>(&g).is_ok());
            }
        }
    }
}
