//! End to end: Claude Code transcripts (hand-written fixtures) → `agentstat report` → page,
//! results.json, CSVs and facets, run as the built binary with a private HOME and cache.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude/projects")
}

/// The binary with a sandboxed environment: nothing from the real home or cache leaks in.
fn agentstat(home: &Path) -> Command {
    support::agentstat_salted(home, "e2e-test-salt")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "agentstat failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

const STUDY_SECTIONS: [&str; 10] = [
    "fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "figa1", "figa2", "tablea1", "tablea2",
];

/// What every report must satisfy, whatever its data.
fn check_report_dir(dir: &Path) -> (String, serde_json::Value) {
    let html = std::fs::read_to_string(dir.join("index.html")).expect("index.html");
    let results = json(&std::fs::read_to_string(dir.join("results.json")).expect("results.json"));
    assert!(html.starts_with("<!doctype html>"));
    // Self-contained: no scripts, no external resources of any kind.
    for bad in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "src=",
        "url(http",
        "href=\"http",
    ] {
        assert!(!html.contains(bad), "index.html contains {bad:?}");
    }
    for id in STUDY_SECTIONS {
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "section {id} missing"
        );
    }
    assert!(html.contains("id=\"sample\""));
    let tables = results["tables"].as_array().expect("tables array");
    assert!(!tables.is_empty(), "no tables in results.json");
    for t in tables {
        let id = t["id"].as_str().expect("table id");
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "table {id} not on the page"
        );
        let csv = std::fs::read_to_string(dir.join("tables").join(format!("{id}.csv")))
            .unwrap_or_else(|e| panic!("tables/{id}.csv: {e}"));
        assert!(csv.starts_with("row,column,"), "{id}.csv header");
        let cells: usize =
            t["rows"].as_array().unwrap().len() * t["columns"].as_array().unwrap().len();
        assert_eq!(
            csv.lines().count(),
            cells + 1,
            "{id}.csv: one line per cell"
        );
        for row in t["rows"].as_array().unwrap() {
            for c in row["cells"].as_array().unwrap() {
                if c["suppressed"] == true {
                    assert!(c["value"].is_null(), "{id}: suppressed cell with a value");
                }
            }
        }
    }
    (html, results)
}

#[test]
fn report_from_fixture_transcripts_then_warm_from_cache() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let run = || {
        let o = agentstat(home.path())
            .arg("report")
            .arg(fixtures())
            .arg("--out")
            .arg(&out)
            .arg("--json")
            .output()
            .unwrap();
        json(&ok(&o))
    };
    let first = run();
    assert_eq!(first["sessions"], 4, "{first}");
    assert_eq!(first["interactive_sessions"], 3, "{first}");
    assert_eq!(first["people"], 1);
    assert_eq!(first["personal_mode"], true);
    assert_eq!(first["suppressed_cells"], 0);
    assert!(
        first["extract"]["classified"].as_u64().unwrap() >= 3,
        "{first}"
    );

    let (html, results) = check_report_dir(&out);
    assert_eq!(results["sample"]["sessions"], 4);
    assert_eq!(results["sample"]["interactive_sessions"], 3);
    let excluded: u64 = results["sample"]["excluded"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        excluded, 1,
        "the SDK run is excluded: {}",
        results["sample"]
    );
    assert_eq!(results["privacy"]["personal_mode"], true);
    assert!(
        html.contains("Personal mode."),
        "personal mode must be said prominently"
    );
    assert!(html.contains("id=\"personal\""), "personal section");
    assert!(
        html.contains("2026-03-02"),
        "date range starts at the first session"
    );
    assert!(html.contains("heuristic"), "classifier provenance");
    // The personal habit tables see the committing session.
    let habits = results["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "personal_habits_success")
        .expect("personal habits table");
    assert!(
        habits["rows"].as_array().unwrap().iter().any(|r| r["label"]
            .as_str()
            .is_some_and(|l| l == "Committed — by construction (1 of 3 sessions)")),
        "{habits}"
    );
    // The rest of the personal section: the study beside you, activity, and advice.
    for id in ["personal_vs_study", "personal_activity", "personal_advice"] {
        assert!(
            results["tables"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == id),
            "{id}"
        );
    }
    let facets = agentstat_facets::parquet::read_facets(out.join("facets.parquet")).unwrap();
    assert_eq!(facets.len(), 4);
    assert!(facets.iter().all(|f| f.user_key == facets[0].user_key));

    // Second run: everything from the cache, same numbers.
    let second = run();
    assert_eq!(
        second["extract"]["classified"], 0,
        "warm run must not classify: {second}"
    );
    assert_eq!(second["extract"]["cached"], 4, "{second}");
    let again = json(&std::fs::read_to_string(out.join("results.json")).unwrap());
    assert_eq!(
        again["tables"], results["tables"],
        "cached run gives the same tables"
    );
}

#[test]
fn no_arguments_reports_on_the_default_claude_folder() {
    let home = tempfile::tempdir().unwrap();
    let projects = home.path().join(".claude/projects/-home-alice-parser");
    std::fs::create_dir_all(&projects).unwrap();
    for e in std::fs::read_dir(fixtures().join("-home-alice-parser")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), projects.join(e.file_name())).unwrap();
    }
    let o = agentstat(home.path()).output().unwrap();
    let stdout = ok(&o);
    assert!(
        stdout.contains("agentstat-report"),
        "prints where the report is: {stdout}"
    );
    check_report_dir(&home.path().join("agentstat-report"));
}

#[test]
fn no_sessions_says_where_it_looked() {
    let home = tempfile::tempdir().unwrap();
    let empty = home.path().join("nothing-here");
    std::fs::create_dir_all(&empty).unwrap();
    let o = agentstat(home.path())
        .arg("report")
        .arg(&empty)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no sessions found"), "{err}");
    assert!(
        err.contains(&empty.display().to_string()),
        "names the folder: {err}"
    );
    assert!(!home.path().join("agentstat-report").exists());

    // Default roots: names ~/.claude/projects.
    let o = agentstat(home.path()).arg("report").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains(".claude/projects"), "{err}");
}

/// The real corpus (several people): thresholds apply; the page must still be complete.
#[test]
fn report_on_the_real_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !corpus.exists() {
        if std::env::var("AGENTSTAT_REQUIRE_CORPUS").as_deref() == Ok("1") {
            panic!(
                "corpus not found at {} and AGENTSTAT_REQUIRE_CORPUS=1",
                corpus.display()
            );
        }
        eprintln!("corpus not found at {}, skipped", corpus.display());
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let o = agentstat(home.path())
        .arg("report")
        .arg(corpus.join("claude-code"))
        .args(["--min-users", "2", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let s = json(&ok(&o));
    assert!(s["sessions"].as_u64().unwrap() >= 30, "{s}");
    assert!(s["people"].as_u64().unwrap() >= 2, "{s}");
    assert_eq!(s["personal_mode"], false);
    let (html, results) = check_report_dir(&out);
    assert_eq!(results["privacy"]["min_users"], 2);
    assert!(html.contains("Privacy threshold: 2 people."));
    assert!(
        !html.contains("id=\"personal\""),
        "no personal section for several people"
    );
}

/// `agentstat extract` and `agentstat report` share one cache: a report after an extract
/// classifies nothing again.
#[test]
fn report_reuses_what_extract_cached() {
    let home = tempfile::tempdir().unwrap();
    let o = agentstat(home.path())
        .arg("extract")
        .arg(fixtures())
        .arg("-o")
        .arg(home.path().join("mine.parquet"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = agentstat(home.path())
        .arg("report")
        .arg(fixtures())
        .args(["--json", "--out"])
        .arg(home.path().join("out"))
        .output()
        .unwrap();
    let s = json(&ok(&o));
    assert_eq!(s["extract"]["classified"], 0, "{s}");
    assert_eq!(s["extract"]["cached"], 4, "{s}");
}

/// Bad input is reported, not dropped: a binary file, an invalid JSON line and a bad UTF-8
/// line give the same warnings as `extract`, the counts reach results.json and the page, and a
/// mistyped path is a warning (an error when nothing else is readable).
#[test]
fn skipped_data_and_missing_paths_are_reported() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data").join("proj");
    std::fs::create_dir_all(&data).unwrap();
    let src = fixtures()
        .join("-home-alice-parser")
        .join("0b8c6c7e-1111-4a5e-9a51-000000000001.jsonl");
    let good = std::fs::read(&src).unwrap();
    let mut lines: Vec<&[u8]> = good.split(|b| *b == b'\n').collect();
    // After the first record: a broken JSON line and a line with invalid UTF-8.
    let bad_utf8: &[u8] = b"{\"type\":\"summary\",\"summary\":\"caf\xff\xfe\",\"leafUuid\":\"x\"}";
    lines.insert(1, b"{\"type\":\"user\", broken");
    lines.insert(2, bad_utf8);
    std::fs::write(data.join("mixed.jsonl"), lines.join(&b'\n')).unwrap();
    let mut binary = vec![0u8, 159, 146, 150, 0, 1, 2, 3];
    binary.extend(std::iter::repeat_n(0xffu8, 200));
    std::fs::write(data.join("blob.jsonl"), binary).unwrap();
    let missing = home.path().join("no-such-dir");
    let out = home.path().join("out");

    let o = agentstat(home.path())
        .arg("report")
        .arg(home.path().join("data"))
        .arg(&missing)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no-such-dir") && err.contains("no such file or directory"),
        "missing path warned:\n{err}"
    );
    assert!(err.contains("mixed.jsonl:2"), "line-level warning:\n{err}");
    assert!(err.contains("blob.jsonl"), "binary file warned:\n{err}");
    assert!(err.contains("skipped: "), "skip summary:\n{err}");
    assert!(err.contains("1 path not found"), "{err}");

    let (html, results) = check_report_dir(&out);
    let sample = &results["sample"];
    let skipped = sample["skipped_lines"].as_u64().expect("skipped_lines");
    let by_reason: u64 = sample["skipped_by_reason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(skipped >= 2, "invalid JSON line and binary file: {sample}");
    assert_eq!(by_reason, skipped, "{sample}");
    assert!(sample["unreadable_sources"].as_u64().is_some(), "{sample}");
    assert_eq!(
        sample["sessions"], 1,
        "the good records still count: {sample}"
    );
    assert!(
        html.contains(&format!("{skipped} transcript lines or files skipped")),
        "page shows the skipped count"
    );

    // Nothing readable at all: exit 1, naming the path.
    let o = agentstat(home.path())
        .arg("report")
        .arg(&missing)
        .arg("--out")
        .arg(home.path().join("out2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-such-dir"), "{err}");
}

/// The files of a report folder that must not depend on the cache: results, CSVs, facets.
fn report_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for name in ["results.json", "facets.parquet"] {
        v.push((name.to_string(), std::fs::read(dir.join(name)).unwrap()));
    }
    let mut csvs: Vec<_> = std::fs::read_dir(dir.join("tables"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    csvs.sort();
    for p in csvs {
        let name = format!("tables/{}", p.file_name().unwrap().to_string_lossy());
        v.push((name, std::fs::read(&p).unwrap()));
    }
    v
}

/// A cold run (empty cache) and a warm run (every facet from the cache) write byte-identical
/// results.json, CSVs and facets: the cache stores every number exactly. Over the fixtures and,
/// when present, the real corpus (many awkward floats).
#[test]
fn cold_and_warm_reports_are_byte_identical() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let mut inputs = vec![fixtures()];
    for agent in [
        "claude-code",
        "gemini-cli",
        "openhands",
        "swe-agent",
        "cursor-specstory",
        "aider",
    ] {
        if corpus.join(agent).exists() {
            inputs.push(corpus.join(agent));
        }
    }
    let home = tempfile::tempdir().unwrap();
    let run = |out: &Path| {
        let o = agentstat(home.path())
            .arg("report")
            .args(&inputs)
            .args(["--min-users", "1", "--json", "--out"])
            .arg(out)
            .output()
            .unwrap();
        json(&ok(&o))
    };
    let cold_dir = home.path().join("cold");
    let warm_dir = home.path().join("warm");
    let cold = run(&cold_dir);
    let warm = run(&warm_dir);
    assert_eq!(cold["extract"]["cached"], 0, "{cold}");
    assert_eq!(warm["extract"]["cached"], cold["sessions"], "{warm}");
    let (a, b) = (report_bytes(&cold_dir), report_bytes(&warm_dir));
    assert_eq!(a.len(), b.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between a cold and a warm run");
    }
}
