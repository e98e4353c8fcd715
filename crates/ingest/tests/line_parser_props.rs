//! Property tests for the line reader and parser: arbitrary bytes never panic, and valid
//! records survive whatever damage surrounds them.

use agentstat_ingest::reader::{parse_line, split_values, Line, LineReader};
use agentstat_ingest::Diagnostics;
use proptest::prelude::*;

/// A record laid out like Claude Code writes them (`type` or `parentUuid` first).
fn record(i: u32, text: &str) -> String {
    let text = serde_json::to_string(text).unwrap();
    format!(r#"{{"type":"user","uuid":"u{i}","message":{{"role":"user","content":{text}}}}}"#)
}

/// Parse like the adapter does, returning the uuids recovered.
fn uuids(line: &[u8], diag: &mut Diagnostics) -> Vec<String> {
    let mut out = Vec::new();
    parse_line(line, "prop.jsonl", 1, diag, |b| {
        let v: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(b)?;
        if let Some(u) = v.get("uuid").and_then(|u| u.as_str()) {
            out.push(u.to_string());
        }
        Ok(())
    });
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), cap in 1usize..300) {
        let mut r = LineReader::with_max_line(&bytes[..], cap);
        let mut d = Diagnostics::default();
        let mut seen = 0u64;
        while let Some((no, line)) = r.next_line().unwrap() {
            seen += 1;
            prop_assert_eq!(no, seen);
            match line {
                Line::Data(l) => {
                    prop_assert!(l.len() <= bytes.len());
                    parse_line(l, "prop.jsonl", no, &mut d, |b| serde_json::from_slice::<serde::de::IgnoredAny>(b).map(|_| ()));
                }
                Line::TooLong(n) => prop_assert!(n as usize >= cap),
            }
        }
        prop_assert_eq!(r.bytes_read(), bytes.len() as u64);
        let _ = split_values(&bytes);
    }

    #[test]
    fn lines_round_trip(lines in proptest::collection::vec("[^\n\r]{0,50}", 0..20), cap in 256usize..512) {
        let text = lines.join("\n");
        let mut r = LineReader::with_max_line(text.as_bytes(), cap);
        let mut got = Vec::new();
        while let Some((_, l)) = r.next_line().unwrap() {
            if let Line::Data(d) = l {
                got.push(String::from_utf8(d.to_vec()).unwrap());
            }
        }
        let mut want = lines.clone();
        // A final empty line is just the previous line's newline.
        if want.last().is_some_and(|l| l.is_empty()) {
            want.pop();
        }
        prop_assert_eq!(got, want);
    }

    #[test]
    fn glued_records_are_all_recovered(texts in proptest::collection::vec("[a-z {}\"\\\\:,]{0,30}", 1..6)) {
        let line: String = texts.iter().enumerate().map(|(i, t)| record(i as u32, t)).collect();
        let mut d = Diagnostics::default();
        let got = uuids(line.as_bytes(), &mut d);
        let want: Vec<String> = (0..texts.len()).map(|i| format!("u{i}")).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(d.skipped_total(), 0);
    }

    #[test]
    fn a_record_after_garbage_is_recovered(garbage in "[a-z0-9 :,\\[]{1,40}", text in "[a-z ]{0,20}") {
        // A writer died mid-record, and the next record was appended to the same line.
        let line = format!("{{\"type\":\"user\",\"message\":{{\"content\":\"{garbage}{}", record(7, &text));
        let mut d = Diagnostics::default();
        let got = uuids(line.as_bytes(), &mut d);
        prop_assert!(got.contains(&"u7".to_string()), "lost the glued record: {:?}", got);
    }

    #[test]
    fn truncation_is_counted_never_fatal(text in "[a-z ]{1,40}", cut in 1usize..60) {
        let full = record(1, &text);
        let cut = cut.min(full.len() - 1);
        let mut d = Diagnostics::default();
        let got = uuids(&full.as_bytes()[..cut], &mut d);
        prop_assert!(got.is_empty());
        prop_assert_eq!(d.skipped_total(), 1);
    }
}

proptest! {
    #[test]
    fn identity_from_any_cwd_never_panics(cwd in "\\PC{0,24}", prefix in prop::sample::select(vec!["", "/Users/", "/home/", "C:\\Users\\", "c:/users/", "\\\\?\\C:\\Users\\"])) {
        let s = format!("{prefix}{cwd}");
        if let Some(name) = agentstat_ingest::identity_from_cwd(&s) {
            prop_assert!(!name.is_empty());
            prop_assert!(!name.contains('/') && !name.contains('\\'));
        }
    }
}
