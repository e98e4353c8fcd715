//! `agentstat agree` end to end: facets extracted by the CLI from the test fixtures (heuristic),
//! a second file made from it with the facets crate's writer (labels changed, one errored, one
//! session missing, one extra), then `agree` as JSON and as text, with and without a
//! threshold, and bad input.

use agentstat_facets::parquet::{read_facets, write_facets};
use agentstat_facets::{Label, Provenance, WorkMode};
use std::path::{Path, PathBuf};
use std::process::Output;

mod support;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude/projects")
}

fn agentstat(home: &Path, args: &[&str]) -> Output {
    support::agentstat(home).args(args).output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// (A, B, the session whose work mode B changes and the mode it had, the new mode)
fn two_files(dir: &Path) -> (PathBuf, PathBuf, WorkMode, WorkMode) {
    let a = dir.join("a.parquet");
    ok(&agentstat(
        dir,
        &[
            "extract",
            fixtures().to_str().unwrap(),
            "-o",
            a.to_str().unwrap(),
            "--no-cache",
        ],
    ));
    let facets = read_facets(&a).unwrap();
    let classified: Vec<usize> = (0..facets.len())
        .filter(|&i| facets[i].labels.is_some())
        .collect();
    assert!(
        classified.len() >= 3,
        "the fixtures classify at least 3 sessions"
    );
    let mut b = facets.clone();
    // 1. A different work mode for the first classified session.
    let l = b[classified[0]].labels.as_mut().unwrap();
    let old = l.work_mode.value.unwrap();
    let new = if old == WorkMode::Communicate {
        WorkMode::Plan
    } else {
        WorkMode::Communicate
    };
    l.work_mode.value = Some(new);
    // 2. An errored outcome for the second.
    let l = b[classified[1]].labels.as_mut().unwrap();
    l.outcome = Label::failed("invalid answer twice", Provenance::default());
    // 3. One session of A missing from B (the unclassified one if any, else the last), and a
    //    session B has that A has not.
    let drop = (0..b.len())
        .find(|i| !classified.contains(i))
        .unwrap_or(b.len() - 1);
    let mut extra = b[classified[2]].clone();
    extra.session_key = "only-in-b".into();
    b.remove(drop);
    b.push(extra);
    let bp = dir.join("b.parquet");
    write_facets(&bp, &b).unwrap();
    (a, bp, old, new)
}

fn label<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("no label {key}"))
}

#[test]
fn agree_on_extracted_facets_and_an_edited_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, old, new) = two_files(dir.path());
    let facets_a = read_facets(&a).unwrap();
    let n_a = facets_a.len();
    let classified = facets_a.iter().filter(|f| f.labels.is_some()).count();
    let both = n_a - 1;

    // One identified person in the fixtures: personal mode, every number published.
    let o = agentstat(
        dir.path(),
        &["agree", a.to_str().unwrap(), b.to_str().unwrap(), "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(v["privacy"]["personal_mode"], true, "{v}");
    assert_eq!(v["join"]["both"]["value"], both as f64);
    assert_eq!(v["join"]["only_a"]["value"], 1.0);
    assert_eq!(v["join"]["only_b"]["value"], 1.0);

    // The fixtures hold a non-interactive (unclassified) session: that is the one B lacks, so
    // every classified session of A is in B, and one of them changed its work mode.
    assert!(
        classified < n_a,
        "the fixtures have an unclassified session"
    );
    let compared = classified;
    let wm = label(&v, "work_mode");
    assert_eq!(wm["compared"]["value"], compared as f64, "{wm}");
    let agreement = wm["agreement"]["value"].as_f64().unwrap();
    assert!(
        (agreement - (compared - 1) as f64 / compared as f64).abs() < 1e-12,
        "{wm}"
    );
    let cats: Vec<&str> = wm["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let (i, j) = (
        cats.iter().position(|c| *c == old.as_str()).unwrap(),
        cats.iter().position(|c| *c == new.as_str()).unwrap(),
    );
    assert_eq!(wm["confusion"][i][j]["value"], 1.0, "{wm}");
    assert!(wm["kappa"]["value"].as_f64().unwrap() < 1.0, "{wm}");

    // Outcome: the errored label is excluded and counted, for outcome only.
    let oc = label(&v, "outcome");
    assert_eq!(oc["compared"]["value"], (compared - 1) as f64, "{oc}");
    assert_eq!(
        oc["excluded"]["value"].as_f64().unwrap() - wm["excluded"]["value"].as_f64().unwrap(),
        1.0
    );
    // Codebase relation untouched: full agreement.
    assert_eq!(label(&v, "codebase_relation")["agreement"]["value"], 1.0);

    // Text: readable tables naming the labels and the rule applied.
    let o = agentstat(
        dir.path(),
        &["agree", a.to_str().unwrap(), b.to_str().unwrap()],
    );
    let text = ok(&o);
    for needle in [
        "Personal mode",
        "work mode",
        "kappa [95% CI]",
        "quadratic kappa",
        "Spearman",
        "Confusion matrices (rows: A, columns: B)",
        new.as_str(),
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(!text.contains("NaN"));
}

#[test]
fn a_threshold_above_the_people_in_the_files_suppresses_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, _, _) = two_files(dir.path());
    let args = [
        "agree",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--min-users",
        "2",
    ];
    let v: serde_json::Value = serde_json::from_str(&ok(&agentstat(
        dir.path(),
        &[&args[..], &["--json"]].concat(),
    )))
    .unwrap();
    assert_eq!(v["privacy"]["personal_mode"], false);
    assert_eq!(v["privacy"]["min_users"], 2);
    assert_eq!(v["join"]["both"]["suppressed"], true);
    let mut cells = 0;
    for l in v["labels"].as_array().unwrap() {
        for c in l["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap())
        {
            assert_eq!(c["suppressed"], true);
            assert!(c["value"].is_null() && c["n_sessions"] == 0);
            cells += 1;
        }
        for f in ["compared", "excluded", "agreement", "kappa", "spearman"] {
            if !l[f].is_null() {
                assert_eq!(l[f]["suppressed"], true, "{}: {f}", l["key"]);
                assert!(l[f]["value"].is_null());
            }
        }
    }
    assert!(cells > 0);
    let text = ok(&agentstat(dir.path(), &args));
    assert!(text.contains("suppressed"), "{text}");
    assert!(text.contains("fewer than 2 distinct people"), "{text}");
    assert!(text.contains("every cell suppressed"), "{text}");
}

#[test]
fn bad_input_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.parquet");
    std::fs::write(&junk, b"not parquet at all").unwrap();
    let missing = dir.path().join("missing.parquet");
    for (x, y, name) in [
        (&junk, &junk, "junk.parquet"),
        (&junk, &missing, "junk.parquet"),
        (&missing, &junk, "missing.parquet"),
    ] {
        let o = agentstat(
            dir.path(),
            &["agree", x.to_str().unwrap(), y.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(name) && !err.contains("panicked"), "{err}");
    }
    // One file only: a usage error, not a panic.
    let o = agentstat(dir.path(), &["agree", junk.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}
