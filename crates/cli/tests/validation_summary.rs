//! The embedded validation summary (`crates/learn/model/validation.json`) and docs/VALIDATION.md's
//! tables are what the generator (`scripts/labels/update-validation.sh`: `agentstat validate
//! … --held-out-people … --summary …`) produces from the committed labels and the corpus, byte
//! for byte. Needs the corpus (skipped with a message when it is absent, failing instead under
//! `AGENTSTAT_REQUIRE_CORPUS`, as CI sets) and python3 for the split; the hermetic checks of the
//! same file are `crates/learn/tests/summary.rs`.

mod support;

use std::process::Command;

#[test]
fn the_generator_reproduces_the_embedded_summary_and_the_documented_tables() {
    if support::corpus().is_none() {
        return;
    }
    // The corpus is named as the scripts name it: `../shared/corpus` from the repository root.
    let root = support::repo();
    let dir = tempfile::tempdir().unwrap();
    let people = Command::new("python3")
        .current_dir(&root)
        .args([
            "scripts/labels/half-split.py",
            "people",
            "--keys",
            "held-out",
        ])
        .output()
        .expect("python3 runs scripts/labels/half-split.py");
    assert!(
        people.status.success(),
        "{}",
        String::from_utf8_lossy(&people.stderr)
    );
    let people_file = dir.path().join("held-out.txt");
    std::fs::write(&people_file, &people.stdout).unwrap();
    let script = "scripts/labels/update-validation.sh";
    let summary = dir.path().join("validation.json");
    let o = Command::new(env!("CARGO_BIN_EXE_agentstat"))
        .env("HOME", dir.path())
        .env("AGENTSTAT_SALT", "agentstat-reference")
        .current_dir(&root)
        .args([
            "validate",
            "data/labels/reference.jsonl",
            "--corpus",
            "../shared/corpus",
        ])
        .args([
            "--keep-heuristic",
            &support::script_default(script, "KEEP_HEURISTIC"),
        ])
        .args([
            "--use-learned",
            &support::script_default(script, "USE_LEARNED"),
        ])
        .arg("--held-out-people")
        .arg(&people_file)
        .arg("--summary")
        .arg(&summary)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "validate failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let fresh = std::fs::read_to_string(&summary).unwrap();
    assert!(
        fresh == agentstat_learn::EMBEDDED_SUMMARY,
        "the generator does not reproduce crates/learn/model/validation.json: run scripts/labels/update-validation.sh"
    );
    let doc = std::fs::read_to_string(root.join("docs/VALIDATION.md")).unwrap();
    let (b, e) = (
        "<!-- learned-validation:begin -->",
        "<!-- learned-validation:end -->",
    );
    let block = &doc[doc.find(b).unwrap() + b.len()..doc.find(e).unwrap()];
    assert!(
        block == format!("\n{}", String::from_utf8_lossy(&o.stdout)),
        "docs/VALIDATION.md's tables are not what validate prints: run scripts/labels/update-validation.sh"
    );
}
