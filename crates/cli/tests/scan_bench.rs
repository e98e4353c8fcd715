//! `agentstat bench` runs its phases on a small directory and reports consistent figures.

mod support;

#[test]
fn bench_reports_every_phase_as_json() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../ingest/tests/fixtures");
    let home = tempfile::tempdir().unwrap();
    let out = support::agentstat_salted(home.path(), "bench-test")
        .args(["bench", dir, "--copies", "3", "--repeat", "2", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let phases = v["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 6);
    assert!(phases[3]["name"]
        .as_str()
        .unwrap()
        .contains("heuristic classify"));
    assert!(phases[4]["name"]
        .as_str()
        .unwrap()
        .contains("learned classify"));
    assert!(v["classify_vs_scan"].as_f64().unwrap() > 0.0);
    assert!(v["learned_vs_scan"].as_f64().unwrap() > 0.0);
    let r = &v["scan_vs_floor_rounds"];
    assert_eq!(r["rounds"].as_u64(), Some(2));
    let (lo, mid, hi) = (
        r["p10"].as_f64().unwrap(),
        r["median"].as_f64().unwrap(),
        r["p90"].as_f64().unwrap(),
    );
    assert!(0.0 < lo && lo <= mid && mid <= hi, "{r}");
    let bytes: Vec<u64> = phases
        .iter()
        .map(|p| p["bytes"].as_u64().unwrap())
        .collect();
    assert!(bytes[0] > 0);
    assert_eq!(bytes[1], bytes[0], "scan reads the same bytes as the floor");
    assert_eq!(
        bytes[3], bytes[1],
        "classification reads the same bytes as scan"
    );
    assert_eq!(
        bytes[4], bytes[1],
        "learned classification reads the same bytes as scan"
    );
    assert_eq!(bytes[5], 3 * bytes[1], "x3 reads three times the bytes");
    assert_eq!(
        phases[5]["sessions"].as_u64().unwrap(),
        3 * phases[1]["sessions"].as_u64().unwrap()
    );
}

/// `--format all` measures every format at once (the default, Claude Code only, is a part).
#[test]
fn bench_format_all_reads_every_format() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../ingest/tests/fixtures");
    let home = tempfile::tempdir().unwrap();
    let sessions = |format: &str| {
        let out = support::agentstat_salted(home.path(), "bench-test")
            .args(["bench", dir, "--repeat", "1", "--json", "--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["phases"][4]["sessions"].as_u64().unwrap()
    };
    let (all, claude) = (sessions("all"), sessions("claude-code"));
    assert!(
        claude > 0 && all > claude,
        "all {all}, claude-code {claude}"
    );
    let out = support::agentstat_salted(home.path(), "bench-test")
        .args(["bench", dir, "--format", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("claude-code, "));
}
