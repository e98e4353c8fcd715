//! The learned classifier end to end: `train` on hand labels of the fixture sessions, the same
//! labels and seed giving the same bytes, `extract --classifier learned --model`, bad label
//! files and bad model files (each error names the file), and — on the real corpus — that
//! retraining from the repository's labels reproduces the embedded model.

mod support;

use agentstat_facets::parquet::read_facets;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude/projects")
}

fn agentstat(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentstat"))
        .env("HOME", home)
        .env("AGENTSTAT_SALT", "learned-test")
        .env("AGENTSTAT_CACHE_DIR", home.join("cache"))
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .current_dir(home)
        .args(args)
        .output()
        .unwrap()
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

fn fails(o: &Output) -> String {
    assert!(!o.status.success(), "expected a failure");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Session keys of the fixtures, as `scan --json` prints them.
fn keys(home: &Path) -> Vec<String> {
    let out = ok(&agentstat(
        home,
        &["scan", "--json", fixtures().to_str().unwrap()],
    ));
    out.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["session"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Hand labels: each session a different person; two raters on the first session.
fn labels(keys: &[String]) -> String {
    let modes = ["Build", "Fix", "Build", "Understand"];
    let mut s = String::new();
    for (i, k) in keys.iter().enumerate() {
        s.push_str(&format!(
            "{{\"session\":\"{k}\",\"user\":\"p{i}\",\"rater\":\"r1\",\"work_mode\":\"{}\",\
             \"codebase_relation\":\"Modify existing code\",\"expertise\":\"{}\",\
             \"outcome\":\"{}\",\"success_signal\":\"{}\",\"failure_signal\":\"NONE\",\
             \"user_profile\":\"Computer and Mathematical\",\"value_band\":\"$10–200\"}}\n",
            modes[i % 4],
            3 + i % 2,
            if i % 2 == 0 {
                "Succeeded"
            } else {
                "Partially Succeeded"
            },
            4 - i % 3,
        ));
    }
    s.push_str(&format!(
        "{{\"session\":\"{}\",\"user\":\"p0\",\"rater\":\"r2\",\"work_mode\":\"Fix\",\"expertise\":4}}\n",
        keys[0]
    ));
    s
}

#[test]
fn train_is_deterministic_and_extract_uses_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let keys = keys(home);
    assert!(keys.len() >= 3, "fixtures hold several sessions");
    let lab = home.join("labels.jsonl");
    std::fs::write(&lab, labels(&keys)).unwrap();
    let corpus = fixtures();
    let train = |out: &str| {
        agentstat(
            home,
            &[
                "train",
                lab.to_str().unwrap(),
                "--corpus",
                corpus.to_str().unwrap(),
                "-o",
                out,
            ],
        )
    };
    let err = ok(&train("m1.bin"));
    let _ = err;
    ok(&train("m2.bin"));
    let m1 = std::fs::read(home.join("m1.bin")).unwrap();
    assert_eq!(
        m1,
        std::fs::read(home.join("m2.bin")).unwrap(),
        "same labels, same seed, same bytes"
    );
    let model = agentstat_learn::Model::from_bytes(&m1, "m1.bin").unwrap();
    assert_eq!(model.ratings, keys.len() + 1);
    assert_eq!(model.sessions, keys.len());
    // A different seed changes the folds, so the recorded cross-validation may differ, but it
    // is recorded.
    assert_eq!(model.seed, 13);

    // Extract with the model: facets the model took over are `learned` with a probability,
    // the rest keep the heuristic's label without one.
    ok(&agentstat(
        home,
        &[
            "extract",
            corpus.to_str().unwrap(),
            "--classifier",
            "learned",
            "--model",
            "m1.bin",
            "-o",
            "f.parquet",
            "--no-cache",
        ],
    ));
    let facets = read_facets(home.join("f.parquet")).unwrap();
    let classified: Vec<_> = facets.iter().filter_map(|f| f.labels.as_ref()).collect();
    assert!(!classified.is_empty());
    for l in classified {
        for (used, label) in [
            (
                model
                    .facet(agentstat_learn::LearnedFacet::Outcome)
                    .unwrap()
                    .use_learned,
                &l.outcome.provenance,
            ),
            (
                model
                    .facet(agentstat_learn::LearnedFacet::WorkMode)
                    .unwrap()
                    .use_learned,
                &l.work_mode.provenance,
            ),
        ] {
            assert_eq!(label.backend, if used { "learned" } else { "heuristic" });
        }
        if model
            .facet(agentstat_learn::LearnedFacet::Outcome)
            .unwrap()
            .use_learned
        {
            let p = l
                .outcome
                .confidence
                .expect("a learned label carries its probability");
            assert!((0.0..=1.0).contains(&p));
        } else {
            assert_eq!(l.outcome.confidence, None);
        }
        assert_eq!(
            l.decisions.provenance.backend, "heuristic",
            "decisions are not learned"
        );
    }

    // The embedded model is the default and loads.
    ok(&agentstat(
        home,
        &[
            "extract",
            corpus.to_str().unwrap(),
            "-o",
            "g.parquet",
            "--no-cache",
        ],
    ));
    let g = read_facets(home.join("g.parquet")).unwrap();
    assert!(
        g.iter().filter_map(|f| f.labels.as_ref()).any(|l| {
            [
                &l.work_mode.provenance,
                &l.outcome.provenance,
                &l.success_signal.provenance,
            ]
            .iter()
            .any(|p| p.backend == "learned")
        }) || g.iter().all(|f| f.labels.is_none())
    );

    // Pins: --use-learned and --keep-heuristic override the training's choice; a facet in both
    // lists, or an unknown one, is refused before anything is written.
    let pinned = |args: &[&str]| {
        let mut a = vec![
            "train",
            lab.to_str().unwrap(),
            "--corpus",
            corpus.to_str().unwrap(),
        ];
        a.extend_from_slice(args);
        agentstat(home, &a)
    };
    ok(&pinned(&[
        "--use-learned",
        "work_mode,outcome",
        "--keep-heuristic",
        "success_signal",
        "-o",
        "p.bin",
    ]));
    let p = agentstat_learn::Model::read(&home.join("p.bin")).unwrap();
    use agentstat_learn::LearnedFacet as LF;
    assert!(
        p.facet(LF::WorkMode).unwrap().use_learned && p.facet(LF::Outcome).unwrap().use_learned
    );
    assert!(!p.facet(LF::SuccessSignal).unwrap().use_learned);
    let e = fails(&pinned(&[
        "--use-learned",
        "outcome",
        "--keep-heuristic",
        "outcome",
        "-o",
        "q.bin",
    ]));
    assert!(
        e.contains("\"outcome\" is in both --keep-heuristic and --use-learned"),
        "{e}"
    );
    let e = fails(&pinned(&["--use-learned", "mood", "-o", "q.bin"]));
    assert!(
        e.contains("--use-learned: \"mood\" is not a learned facet"),
        "{e}"
    );
    assert!(!home.join("q.bin").exists(), "nothing written on error");

    // Validation runs on the same labels and prints its tables.
    let v = ok(&agentstat(
        home,
        &[
            "validate",
            lab.to_str().unwrap(),
            "--corpus",
            corpus.to_str().unwrap(),
            "--folds",
            "2",
        ],
    ));
    assert!(v.contains("| work_mode exact |"), "{v}");
}

#[test]
fn bad_labels_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let keys = keys(home);
    let corpus = fixtures();
    let run = |text: &str| {
        std::fs::write(home.join("bad.jsonl"), text).unwrap();
        fails(&agentstat(
            home,
            &[
                "train",
                "bad.jsonl",
                "--corpus",
                corpus.to_str().unwrap(),
                "-o",
                "m.bin",
            ],
        ))
    };
    let good = labels(&keys);
    let e = run(&format!(
        "{good}{{\"session\":\"0123456789abcdef0123456789abcdef\",\"work_mode\":\"Build\"}}\n"
    ));
    let n = good.lines().count() + 1;
    assert!(
        e.contains(&format!(
            "bad.jsonl:{n}: session 0123456789abcdef0123456789abcdef not found"
        )),
        "{e}"
    );
    let e = run(&good.replacen("\"Build\"", "\"Refactor\"", 1));
    assert!(
        e.contains("bad.jsonl:1: unknown work_mode label \"Refactor\""),
        "{e}"
    );
    let first = good.lines().next().unwrap();
    let e = run(&format!("{good}{first}\n"));
    assert!(
        e.contains("duplicate label") && e.contains("bad.jsonl:1"),
        "{e}"
    );
    let e = run(first);
    assert!(e.contains("incomplete last line"), "{e}");
    assert!(!home.join("m.bin").exists(), "nothing written on error");
}

#[test]
fn bad_model_files_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let corpus = fixtures();
    let good = agentstat_learn::EMBEDDED_MODEL.to_vec();
    let extract = |bytes: &[u8]| {
        std::fs::write(home.join("m.bin"), bytes).unwrap();
        fails(&agentstat(
            home,
            &[
                "extract",
                corpus.to_str().unwrap(),
                "--model",
                "m.bin",
                "-o",
                "f.parquet",
                "--no-cache",
            ],
        ))
    };
    let mut corrupt = good.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x20;
    let e = extract(&corrupt);
    assert!(e.contains("m.bin: checksum mismatch"), "{e}");
    let e = extract(&good[..good.len() - 100]);
    assert!(e.contains("m.bin: truncated model file"), "{e}");
    let mut other = good.clone();
    other[8] = 99;
    let e = extract(&other);
    assert!(e.contains("m.bin: model format version 99"), "{e}");
    let e = extract(b"PAR1 not a model");
    assert!(e.contains("m.bin: not an agentstat model file"), "{e}");
    // A well-formed file for other facets: payload edited, checksum recomputed.
    let len = u64::from_le_bytes(good[12..20].try_into().unwrap()) as usize;
    let mut v: serde_json::Value = serde_json::from_slice(&good[20..20 + len]).unwrap();
    v["facets"][0]["facet"] = "mood".into();
    let payload = serde_json::to_vec(&v).unwrap();
    let mut f = good[..12].to_vec();
    f.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    f.extend_from_slice(&payload);
    let sum = blake3::hash(&f);
    f.extend_from_slice(sum.as_bytes());
    let e = extract(&f);
    assert!(
        e.contains("m.bin: model is for other facets: unknown facet \"mood\""),
        "{e}"
    );
    assert!(!home.join("f.parquet").exists(), "nothing written on error");
    let e = fails(&agentstat(
        home,
        &["extract", corpus.to_str().unwrap(), "--model", "absent.bin"],
    ));
    assert!(e.contains("absent.bin: cannot read model"), "{e}");
}

/// The embedded model is what the documented command (scripts/train-default-model.sh)
/// produces from the repository's labels and the corpus.
#[test]
fn retraining_reproduces_the_embedded_model() {
    if support::corpus().is_none() {
        return;
    }
    // The corpus is named as the script names it: `../shared/corpus` from the repository root.
    let root = support::repo();
    // The facets pinned to the heuristic or to the learned label: the script's own lists (one
    // source of truth).
    let list = |name: &str| support::script_default("scripts/train-default-model.sh", name);
    let (keep, learned) = (list("KEEP_HEURISTIC"), list("USE_LEARNED"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("default.bin");
    let o = Command::new(env!("CARGO_BIN_EXE_agentstat"))
        .env("HOME", dir.path())
        .env("AGENTSTAT_SALT", "agentstat-reference")
        .current_dir(&root)
        .args([
            "train",
            "data/labels/reference.jsonl",
            "--corpus",
            "../shared/corpus",
            "--seed",
            "13",
        ])
        .args(["--keep-heuristic", &keep, "--use-learned", &learned, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    ok(&o);
    let embedded = agentstat_learn::EMBEDDED_MODEL;
    assert!(
        std::fs::read(&out).unwrap() == embedded,
        "retraining does not reproduce crates/learn/model/default.bin: run scripts/train-default-model.sh"
    );
}

/// Issue 13's target "the automated runs in the corpus (no person typing) not labelled as a
/// person's work": with the default classifier, the corpus's OpenHands and SWE-agent
/// trajectories and the Copilot CLI evaluation runs come out of `extract` non-interactive,
/// excluded from analyses and with no labels; the three interactive Copilot CLI sessions beside
/// them are labelled (the check is not vacuous).
#[test]
fn automated_corpus_runs_get_no_labels_from_the_default_classifier() {
    let Some(corpus) = support::corpus() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("f.parquet");
    let dirs = ["openhands", "swe-agent", "public-checkpoints/copilot-cli"];
    let mut args = vec![
        "extract".to_string(),
        "--no-cache".into(),
        "-o".into(),
        out.display().to_string(),
    ];
    args.extend(dirs.iter().map(|d| corpus.join(d).display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&agentstat(home.path(), &args));
    let facets = read_facets(&out).unwrap();
    let (automated, people): (Vec<_>, Vec<_>) = facets.iter().partition(|f| !f.interactive);
    // 4 OpenHands + 4 SWE-agent trajectories (no human turn) + 10 Copilot CLI evaluation runs.
    assert_eq!(automated.len(), 18, "automated runs");
    for f in &automated {
        assert!(
            f.labels.is_none(),
            "{} {}: an automated run was labelled",
            f.agent,
            f.session_key
        );
        assert!(f.excluded_reason.is_some(), "{}: not excluded", f.agent);
        assert!(
            !f.derived().in_success_sample,
            "{}: counted as a person's work",
            f.agent
        );
    }
    assert_eq!(people.len(), 3, "interactive Copilot CLI sessions");
    assert!(people.iter().all(|f| f.labels.is_some()));
}
