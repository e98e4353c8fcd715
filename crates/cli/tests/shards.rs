//! Sharded runs (docs/SCALE.md): `extract --shard K/N` on N "machines" (each given the paths in
//! another order), pooled by `merge` or read as one dataset, give exactly the unsharded run:
//! the same facets file byte for byte, and a byte-identical `results.json`. Bad shard input is a
//! clear error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;

const SALT: &str = "shard-test-salt";
const N: u32 = 3;

/// Every agent's fixtures: ingest's (all formats, damaged files included) and the CLI's.
fn inputs() -> Vec<PathBuf> {
    let ingest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&ingest)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude/projects"));
    v
}

fn agentstat(home: &Path) -> Command {
    support::agentstat_salted(home, SALT)
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "agentstat failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn fail(out: Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn extract(home: &Path, paths: &[PathBuf], out: &Path, extra: &[&str]) -> serde_json::Value {
    let o = ok(agentstat(home)
        .arg("extract")
        .args(paths)
        .arg("-o")
        .arg(out)
        .arg("--json")
        .arg("--no-cache")
        .args(extra)
        .output()
        .unwrap());
    serde_json::from_slice(&o.stdout).unwrap()
}

fn report_results(home: &Path, facets: &[&Path], out: &Path) -> Vec<u8> {
    ok(agentstat(home)
        .arg("report")
        .arg("--facets")
        .args(facets)
        .args(["--min-users", "1", "--out"])
        .arg(out)
        .output()
        .unwrap());
    std::fs::read(out.join("results.json")).unwrap()
}

#[test]
fn merged_shards_equal_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let paths = inputs();
    let whole = extract(d, &paths, &d.join("whole.parquet"), &[]);
    let sessions = whole["sessions"].as_u64().unwrap();
    assert!(sessions > 20, "{whole}");

    // Each "machine" lists the paths in another order; shard 1 is read from the job index.
    std::fs::create_dir(d.join("shards")).unwrap();
    let mut held = 0;
    for k in 0..N {
        let mut p = paths.clone();
        p.rotate_left(k as usize * 3);
        if k % 2 == 1 {
            p.reverse();
        }
        let out = d.join(format!("shards/part-{k}.parquet"));
        let v = if k == 1 {
            let o = ok(agentstat(d)
                .env("JOB_COMPLETION_INDEX", "1")
                .env("AGENTSTAT_SHARD_COUNT", N.to_string())
                .arg("extract")
                .args(&p)
                .arg("-o")
                .arg(&out)
                .args(["--json", "--no-cache", "--shard", "auto"])
                .output()
                .unwrap());
            serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
        } else {
            extract(d, &p, &out, &["--shard", &format!("{k}/{N}")])
        };
        assert_eq!(v["shard"], format!("{k}/{N}"));
        let n = v["sessions"].as_u64().unwrap();
        assert!(n > 0 && n < sessions, "shard {k}: {v}");
        held += n;
    }
    assert_eq!(held, sessions, "every session in exactly one shard");

    // merge (arguments in any order) → the unsharded facets file, byte for byte.
    let merged = d.join("merged.parquet");
    ok(agentstat(d)
        .arg("merge")
        .args([2, 0, 1].map(|k| d.join(format!("shards/part-{k}.parquet"))))
        .arg("-o")
        .arg(&merged)
        .output()
        .unwrap());
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(d.join("whole.parquet")).unwrap(),
        "merged shards differ from the unsharded facets"
    );

    // results.json: unsharded = merged = the shard directory = a glob of the shards.
    let r_whole = report_results(d, &[&d.join("whole.parquet")], &d.join("r-whole"));
    let r_merged = report_results(d, &[&merged], &d.join("r-merged"));
    let r_dir = report_results(d, &[&d.join("shards")], &d.join("r-dir"));
    let r_glob = report_results(d, &[&d.join("shards/part-*.parquet")], &d.join("r-glob"));
    let text = String::from_utf8_lossy(&r_whole);
    assert!(text.contains("\"sessions\""), "results.json has content");
    assert!(
        r_whole == r_merged,
        "results.json from merged shards differs"
    );
    assert!(
        r_whole == r_dir,
        "results.json from the shard directory differs"
    );
    assert!(
        r_whole == r_glob,
        "results.json from a glob of shards differs"
    );

    // stats reads the directory as one dataset too.
    let stats = |p: &Path| {
        ok(agentstat(d)
            .arg("stats")
            .arg(p)
            .args(["--min-users", "1", "--json"])
            .output()
            .unwrap())
        .stdout
    };
    assert_eq!(stats(&d.join("shards")), stats(&d.join("whole.parquet")));

    // A missing shard: an error that sizes it, or a warning when asked to proceed.
    let two = [0, 2].map(|k| d.join(format!("shards/part-{k}.parquet")));
    let e = fail(
        agentstat(d)
            .arg("merge")
            .args(&two)
            .arg("-o")
            .arg(d.join("x.parquet"))
            .output()
            .unwrap(),
    );
    assert!(
        e.contains("1 of 3 shards missing: 1/3 (") && e.contains("--allow-missing-shards"),
        "{e}"
    );
    let o = ok(agentstat(d)
        .arg("merge")
        .args(&two)
        .arg("-o")
        .arg(d.join("x.parquet"))
        .arg("--allow-missing-shards")
        .output()
        .unwrap());
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: 1 of 3 shards missing"));
    let e = fail(agentstat(d).arg("stats").args(&two).output().unwrap());
    assert!(e.contains("shards missing"), "{e}");

    // A shard from another salt is refused.
    let other = d.join("other-salt.parquet");
    ok(support::agentstat_salted(d, "another-salt")
        .arg("extract")
        .args(&paths)
        .arg("-o")
        .arg(&other)
        .args(["--no-cache", "--shard", "1/3"])
        .output()
        .unwrap());
    let e = fail(
        agentstat(d)
            .arg("merge")
            .args(&two)
            .arg(&other)
            .arg("-o")
            .arg(d.join("x.parquet"))
            .output()
            .unwrap(),
    );
    assert!(e.contains("different salts"), "{e}");
}

#[test]
fn scan_shards_partition_the_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = |extra: &[&str], paths: &[PathBuf]| -> Vec<String> {
        let o = ok(agentstat(d)
            .arg("scan")
            .arg("--json")
            .args(paths)
            .args(extra)
            .output()
            .unwrap());
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["session"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let paths = inputs();
    let mut whole = keys(&[], &paths);
    whole.sort();
    let mut rev = paths.clone();
    rev.reverse();
    let mut pooled = Vec::new();
    for k in 0..N {
        let spec = format!("{k}/{N}");
        let a = keys(&["--shard", &spec], &paths);
        let mut b = keys(&["--shard", &spec], &rev);
        let mut a_sorted = a.clone();
        a_sorted.sort();
        b.sort();
        assert_eq!(
            a_sorted, b,
            "shard {spec} depends on the order of the paths"
        );
        pooled.extend(a);
    }
    pooled.sort();
    assert_eq!(pooled, whole);
    // Slurm: 1-based array ids are shifted by SLURM_ARRAY_TASK_MIN.
    let o = ok(agentstat(d)
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .args(["scan", "--json", "--shard", "auto"])
        .args(&paths)
        .output()
        .unwrap());
    let mut slurm: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["session"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    slurm.sort();
    let mut one = keys(&["--shard", "1/3"], &paths);
    one.sort();
    assert_eq!(slurm, one);
}

#[test]
fn bad_shard_specs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = inputs();
    for (args, env, want) in [
        (vec!["--shard", "3/3"], vec![], "out of range"),
        (vec!["--shard", "1-3"], vec![], "malformed shard"),
        (vec!["--shard", "0/0"], vec![], "at least 1"),
        (
            vec!["--shard", "auto"],
            vec![],
            "neither SLURM_ARRAY_TASK_ID",
        ),
        (
            vec!["--shard", "auto"],
            vec![("JOB_COMPLETION_INDEX", "0")],
            "--shard-count",
        ),
        (
            vec!["--shard", "1/3", "--shard-count", "3"],
            vec![],
            "--shard auto",
        ),
    ] {
        for cmd in ["scan", "extract"] {
            let mut c = agentstat(d);
            c.arg(cmd).args(&p).args(&args).arg("-o");
            if cmd == "scan" {
                // scan has no -o: the parser error must not hide the shard error.
                c = agentstat(d);
                c.arg(cmd).args(&p).args(&args);
            } else {
                c.arg(d.join("x.parquet"));
            }
            for (k, v) in &env {
                c.env(k, v);
            }
            let e = fail(c.output().unwrap());
            assert!(e.contains(want), "{cmd} {args:?}: {e}");
            assert!(!e.contains("panicked"), "{e}");
        }
    }
}
