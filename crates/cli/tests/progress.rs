//! A long run restarted says how much was already done and how much is left (the facet cache
//! holds what the stopped run finished).

use std::path::Path;

mod support;

#[test]
fn a_resumed_extract_says_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/fixtures");
    let run = |paths: &[&Path]| {
        let o = support::agentstat_salted(d, "progress-test")
            .arg("extract")
            .args(paths)
            .arg("-o")
            .arg(d.join("f.parquet"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    // The "stopped" run got through two folders' sessions.
    let first = run(&[&fx.join("codex"), &fx.join("pi")]);
    assert!(!first.contains("resuming"), "{first}");
    let second = run(&[&fx]);
    let numbers = |out: &str| -> (u64, u64, u64) {
        let line = out
            .lines()
            .find(|l| l.contains("resuming:"))
            .unwrap_or_else(|| panic!("no resuming line:\n{out}"));
        let n: Vec<u64> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        assert_eq!(n[0] + n[2], n[1], "{line}");
        (n[0], n[1], n[2])
    };
    let (done, total, _) = numbers(&second);
    assert!(done >= 6 && done < total, "{second}");
    // Everything readable is cached now: only the unreadable sources (never cached, tried
    // again) are left.
    let (done3, total3, left3) = numbers(&run(&[&fx]));
    assert_eq!(total3, total);
    assert!(done3 > done && left3 < total - done, "{done3} {left3}");
}
