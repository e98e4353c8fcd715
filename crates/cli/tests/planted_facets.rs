//! Closed vocabularies at the privacy boundary, attacked: secrets and free text planted in every
//! transcript field of every format must reach no facet string, no report file and no cache
//! entry. The transcripts are the ingest fixtures of each format, with every string value of the
//! JSON formats (and the model, version, home-directory and body lines of the Markdown formats)
//! carrying the planted text.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod support;

/// Each planted string contains `PLANTED` (any case), which no output may contain.
const SECRETS: [&str; 3] = [
    "AKIAPLANTEDSECRETX42",
    "zebraquokkaplanted",
    "planted.person@example.org",
];
const MARK: &str = "planted";

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ingest/tests/fixtures")
        .join(p)
}

/// Type tags, roles, timestamps and ids are left alone, so the file keeps its shape and still
/// parses; every other string carries the secrets (appended, or in place of the value).
fn structural(s: &str) -> bool {
    let b = s.as_bytes();
    s.bytes()
        .all(|c| c.is_ascii_lowercase() || matches!(c, b'_' | b'.' | b'-'))
        || (b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-')
        || (s.len() >= 8 && s.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-'))
}

fn plant_value(v: &mut Value, replace: bool) {
    match v {
        Value::String(s) if !structural(s) => {
            *s = if replace {
                format!("{} {}", SECRETS[0], SECRETS[2])
            } else {
                format!("{s} {} {} {}", SECRETS[0], SECRETS[1], SECRETS[2])
            };
        }
        Value::Array(a) => a.iter_mut().for_each(|x| plant_value(x, replace)),
        Value::Object(o) => o.values_mut().for_each(|x| plant_value(x, replace)),
        _ => {}
    }
}

/// A JSON or JSONL file with every non-structural string planted.
fn plant_json(text: &str, replace: bool) -> String {
    if let Ok(mut v) = serde_json::from_str::<Value>(text) {
        plant_value(&mut v, replace);
        return v.to_string();
    }
    let mut out = String::new();
    for line in text.lines() {
        match serde_json::from_str::<Value>(line) {
            Ok(mut v) => {
                plant_value(&mut v, replace);
                out.push_str(&v.to_string());
            }
            Err(_) => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// A Markdown transcript with secrets in its model ids, versions, home directory and body.
fn plant_markdown(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut l = line
            .replace("/home/dave", &format!("/home/{}", SECRETS[1]))
            .replace("v0.50.1", &format!("v0.50.1{}", SECRETS[0]))
            .replace(
                "claude-3-5-sonnet-20240620",
                &format!("claude-{}", SECRETS[0]),
            )
            .replace(
                "claude-sonnet-4-5",
                &format!("claude-sonnet-{}", SECRETS[1]),
            )
            .replace("gpt-4o", &format!("gpt-4o {}", SECRETS[2]));
        let structural_line = l.starts_with('#')
            || l.starts_with("<!--")
            || l.starts_with("_**")
            || l.starts_with("```")
            || l.starts_with("<<<<")
            || l.starts_with("====")
            || l.starts_with(">>>>")
            || l.trim().is_empty();
        if !structural_line {
            l.push_str(&format!(" {} {}", SECRETS[0], SECRETS[2]));
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// One planted copy of each format's fixtures, in the file layout its adapter expects.
fn planted_corpus(root: &Path) -> usize {
    let json_sources: &[(&str, &str)] = &[
        ("session_full.jsonl", "claude/projects/-home-alice-proj/11111111-1111-4111-8111-111111111111.jsonl"),
        ("gemini/session-2026-01-11T10-00-abcd1234.jsonl", "gemini/tmp/abc/chats/session-2026-01-11T10-00-abcd1234.jsonl"),
        ("gemini/session-legacy.json", "gemini/tmp/abd/chats/session-legacy.json"),
        ("codex/sessions/2025/10/20/rollout-2025-10-20T09-14-03-0199f1a2-7c3e-7d40-9b1a-3f6e2d8c4b10.jsonl", "codex/sessions/2025/10/20/rollout-2025-10-20T09-14-03-0199f1a2-7c3e-7d40-9b1a-3f6e2d8c4b10.jsonl"),
        ("codex/rollout-2025-05-01-6f1c2d3e-4b5a-4c6d-8e7f-001122334455.json", "codex/rollout-2025-05-01-6f1c2d3e-4b5a-4c6d-8e7f-001122334455.json"),
        ("openhands/run.json", "openhands/run.json"),
        ("swe-agent/fncall.traj", "swe-agent/fncall.traj"),
        ("swe-agent/legacy.traj", "swe-agent/legacy.traj"),
        (
            "pi/sessions/--home-dev-greeter--/2025-12-03T14-00-00-000Z_1f9d2a6b-0000-4000-8000-000000000001.jsonl",
            "pi/sessions/--home-dev-greeter--/2025-12-03T14-00-00-000Z_1f9d2a6b-0000-4000-8000-000000000001.jsonl",
        ),
        (
            "copilot/session-state/7c1d0e52-0000-4000-8000-000000000001/events.jsonl",
            "copilot/session-state/7c1d0e52-0000-4000-8000-000000000001/events.jsonl",
        ),
        ("opencode/export-footer.json", "opencode/export-footer.json"),
    ];
    let mut n = 0;
    for (variant, replace) in [("append", false), ("replace", true)] {
        for (src, dst) in json_sources {
            let text = std::fs::read_to_string(fixture(src)).unwrap();
            let p = root.join(variant).join(dst);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, plant_json(&text, replace)).unwrap();
            n += 1;
        }
    }
    for (src, dst) in [
        (
            "aider/.aider.chat.history.md",
            "aider/proj/.aider.chat.history.md",
        ),
        (
            "specstory/2026-01-07_v2-cli.md",
            "specstory/.specstory/history/2026-01-07_v2-cli.md",
        ),
        (
            "specstory/2025-04-01_10-00-early-export.md",
            "specstory/.specstory/history/2025-04-01_10-00-early-export.md",
        ),
    ] {
        let text = std::fs::read_to_string(fixture(src)).unwrap();
        let p = root.join(dst);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, plant_markdown(&text)).unwrap();
        n += 1;
    }
    n
}

/// Every file under `dir`, read as bytes, must not contain the mark (case-insensitively).
fn assert_clean_tree(dir: &Path, what: &str) -> usize {
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&p).unwrap();
            let lower = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
            assert!(
                !lower.contains(MARK),
                "{what}: {} carries planted text",
                p.display()
            );
        }
    }
    files
}

fn run(c: &mut std::process::Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "agentstat failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn planted_secrets_reach_no_facet_report_or_cache() {
    let home = tempfile::tempdir().unwrap();
    let corpus = home.path().join("planted");
    let planted = planted_corpus(&corpus);

    // extract → facets: every string cell of every row.
    let facets_path = home.path().join("facets.parquet");
    run(support::agentstat_salted(home.path(), "planted-salt")
        .arg("extract")
        .arg(&corpus)
        .arg("--output")
        .arg(&facets_path));
    let facets = agentstat_facets::parquet::read_facets(&facets_path).unwrap();
    // Most planted files still yield a session (the attack reached the adapters).
    assert!(
        facets.len() * 2 >= planted,
        "only {} sessions from {planted} planted files",
        facets.len()
    );
    let agents: std::collections::BTreeSet<&str> =
        facets.iter().map(|f| f.agent.as_str()).collect();
    for a in [
        "claude-code",
        "gemini-cli",
        "codex-cli",
        "openhands",
        "swe-agent",
        "aider",
        "pi",
        "copilot-cli",
        "opencode",
    ] {
        assert!(agents.contains(a), "no {a} session among {agents:?}");
    }
    // The reader closes values too, so the file's own bytes are checked as well.
    let raw = String::from_utf8_lossy(&std::fs::read(&facets_path).unwrap()).to_ascii_lowercase();
    assert!(!raw.contains(MARK), "the facets file carries planted text");
    let all = format!("{facets:?}").to_ascii_lowercase();
    assert!(!all.contains(MARK), "a facet carries planted text");
    // The model strings were there to be leaked: they came out as closed values.
    assert!(
        facets
            .iter()
            .any(|f| f.telemetry.models.iter().any(|m| m == "other")),
        "planted model ids should have become `other`"
    );

    // report: page, results, CSVs, facets copy; and the facet cache it filled.
    let out = home.path().join("report");
    run(support::agentstat_salted(home.path(), "planted-salt")
        .arg("report")
        .arg(&corpus)
        .args(["--min-users", "1", "--out"])
        .arg(&out));
    assert!(assert_clean_tree(&out, "report") >= 3);
    let cache = home.path().join("agentstat-cache");
    assert!(
        assert_clean_tree(&cache, "cache") >= 1,
        "the cache holds entries"
    );
    // A team lead pooling the planted person's file passes nothing on either.
    let merged = home.path().join("merged.parquet");
    run(support::agentstat_salted(home.path(), "planted-salt")
        .arg("merge")
        .arg(&facets_path)
        .arg("--allow-multi-person")
        .arg("--output")
        .arg(&merged));
    let raw = String::from_utf8_lossy(&std::fs::read(&merged).unwrap()).to_ascii_lowercase();
    assert!(!raw.contains(MARK), "the merged file carries planted text");
    let pooled = agentstat_facets::parquet::read_facets(&merged).unwrap();
    assert!(!format!("{pooled:?}").to_ascii_lowercase().contains(MARK));
}
