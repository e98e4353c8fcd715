//! Real-corpus checks: the pipeline's telemetry against values established by reading the
//! transcripts (`corpus_expected.tsv`, reviewed in docs/corpus-expected.md), and against the
//! `entire-*.metadata.json` sidecars with the differences explained in docs/SIDECARS.md.

use agentstat_ingest::{discover, read_session, Diagnostics, IngestOptions};
use agentstat_session::Session;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/claude-code");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("AGENTSTAT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!(
            "corpus not found at {} and AGENTSTAT_REQUIRE_CORPUS=1",
            dir.display()
        );
    }
    eprintln!("corpus not found at {}, skipped", dir.display());
    None
}

/// Read the session at `path` (a file, or a directory holding a main file and subagents); the
/// largest session wins when discovery yields several.
fn load(path: &Path) -> Session {
    let mut diag = Diagnostics::default();
    let opts = IngestOptions {
        user_label: None,
        salt: b"test-salt".to_vec(),
    };
    let sources = discover(&[path.to_path_buf()], &mut diag);
    let sessions: Vec<Session> = sources
        .iter()
        .filter_map(|s| read_session(s, &opts, &mut diag))
        .collect();
    sessions
        .into_iter()
        .max_by_key(|s| s.events.len())
        .unwrap_or_else(|| panic!("{}: no session read", path.display()))
}

#[test]
fn telemetry_matches_values_read_from_transcripts() {
    let Some(dir) = corpus() else { return };
    let table = include_str!("corpus_expected.tsv");
    let mut mismatches = Vec::new();
    let mut rows = 0;
    for (i, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.starts_with("path\t") || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert!(
            f.len() >= 9,
            "corpus_expected.tsv line {}: expected 10 columns",
            i + 1
        );
        rows += 1;
        let s = load(&dir.join(f[0]));
        let t = agentstat_telemetry::measure(&s);
        let (runs, passed) = f[5].split_once('/').expect("tests column is runs/passed");
        let got: [(&str, u64, &str); 9] = [
            ("prompts", t.human_turns as u64, f[1]),
            ("actions", t.actions as u64, f[2]),
            ("lines_added", t.lines_added.unwrap_or(0), f[3]),
            ("commits", t.git_commits as u64, f[4]),
            ("test_runs", t.test_runs as u64, runs),
            ("tests_passed", t.test_runs_passed as u64, passed),
            ("interrupts", t.interrupts as u64, f[6]),
            ("rejections", t.rejections as u64, f[7]),
            ("subagents", t.subagents as u64, f[8]),
        ];
        for (name, ours, want) in got {
            if want == "-" {
                continue;
            }
            let want: u64 = want.parse().expect("numeric expected value");
            if ours != want {
                mismatches.push(format!("{}: {name} = {ours}, expected {want}", f[0]));
            }
        }
    }
    assert!(
        rows >= 12,
        "the table needs at least 12 sessions, has {rows}"
    );
    assert!(
        mismatches.is_empty(),
        "telemetry disagrees with the reviewed table:\n{}",
        mismatches.join("\n")
    );
}

/// Synthetic assistant messages (`"model":"<synthetic>"`) in a raw transcript: the recorder
/// counts them as API calls, we do not.
fn synthetic_messages(path: &Path) -> u32 {
    let text = std::fs::read_to_string(path).expect("read transcript");
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["type"] == "assistant" && r["message"]["model"] == "<synthetic>")
        .count() as u32
}

#[test]
fn sidecars_agree_up_to_explained_differences() {
    let Some(dir) = corpus() else { return };
    let mut sidecars: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("list corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".metadata.json"))
        .collect();
    sidecars.sort();
    assert!(sidecars.len() >= 10, "expected the entire-* sidecars");
    let mut problems = Vec::new();
    for meta_path in &sidecars {
        let name = meta_path.file_name().unwrap().to_string_lossy().to_string();
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(meta_path).unwrap()).unwrap();
        let transcript = PathBuf::from(
            meta_path
                .to_string_lossy()
                .replace(".metadata.json", ".jsonl"),
        );
        let s = load(&transcript);
        let t = agentstat_telemetry::measure(&s);
        // The recorder counts the main agent's requests only; ours include subagents' (folded
        // in from subagent files and `progress` records).
        let main_calls: Vec<&agentstat_session::ModelCall> = s
            .model_calls
            .iter()
            .filter(|c| c.subagent.is_none() && c.model.as_deref() != Some("<synthetic>"))
            .collect();
        let sub_calls = s
            .model_calls
            .iter()
            .filter(|c| c.subagent.is_some())
            .count() as u32;
        let calls = t.model_calls.expect("Claude Code records its requests");
        assert!(
            calls >= main_calls.len() as u32 && calls <= main_calls.len() as u32 + sub_calls,
            "{name}"
        );
        if let Some(tu) = meta.get("token_usage") {
            // Output tokens: identical over the main agent's deduplicated requests.
            let out = tu["output_tokens"].as_u64().unwrap();
            let ours_out: u64 = main_calls.iter().map(|c| c.output_tokens).sum();
            if out != ours_out {
                problems.push(format!(
                    "{name}: main-agent output tokens {ours_out} vs sidecar {out}"
                ));
            }
            // Prompt tokens: our `input_tokens` is uncached + cache reads + cache writes, which
            // the recorder keeps apart.
            let sum = |k: &str| tu[k].as_u64().unwrap_or(0);
            let theirs_in =
                sum("input_tokens") + sum("cache_read_tokens") + sum("cache_creation_tokens");
            let ours_in: u64 = main_calls
                .iter()
                .map(|c| c.input_tokens + c.cache_read_tokens + c.cache_creation_tokens)
                .sum();
            if theirs_in != ours_in {
                problems.push(format!(
                    "{name}: main-agent prompt tokens {ours_in} vs sidecar {theirs_in}"
                ));
            }
            // API calls: the recorder also counts `<synthetic>` messages.
            let calls = tu["api_call_count"].as_u64().unwrap() as u32;
            let synth = synthetic_messages(&transcript);
            if calls != main_calls.len() as u32 + synth {
                problems.push(format!(
                    "{name}: api calls {} (main agent) + {synth} synthetic vs sidecar {calls}",
                    main_calls.len()
                ));
            }
        }
        // Files touched: ours, restricted to files git tracks inside the project (not
        // ~/.claude/plans, not .git/hooks), must equal the recorder's list, except for a
        // checkpoint that accumulates files from earlier parts of the session.
        let cwd = s.project.clone().unwrap_or_default();
        let in_project = |ok_only: bool| -> std::collections::BTreeSet<String> {
            s.actions()
                .filter(|a| {
                    matches!(
                        a.kind,
                        agentstat_session::ActionKind::Edit | agentstat_session::ActionKind::Write
                    ) && (!ok_only || a.result.status == agentstat_session::ResultStatus::Ok)
                })
                .filter_map(|a| a.file_path())
                .filter_map(|p| p.strip_prefix(&format!("{cwd}/")).map(str::to_owned))
                .filter(|p| !p.starts_with(".git/"))
                .collect()
        };
        let ours = in_project(true);
        let attempted = in_project(false);
        let theirs: std::collections::BTreeSet<String> = meta["files_touched"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        // The recorder diffs the working tree: it also lists files whose agent edit was
        // rejected but that changed anyway, and (checkpoint part -3) files of earlier parts.
        let accumulating = name.starts_with("entire-8cfa910f8ef9");
        let ok = ours.is_subset(&theirs) && (accumulating || theirs.is_subset(&attempted));
        if !ok {
            problems.push(format!(
                "{name}: files {ours:?} (attempted {attempted:?}) vs sidecar {theirs:?}"
            ));
        }
        // Our count includes the out-of-project files, so it is never below the project ones.
        assert!(t.files_touched as usize >= ours.len(), "{name}");
    }
    assert!(
        problems.is_empty(),
        "unexplained sidecar differences:\n{}",
        problems.join("\n")
    );
}
