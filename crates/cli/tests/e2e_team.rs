//! Team mode: `agentstat report --facets team.parquet --min-users K` reads no transcript and
//! publishes no cell that fewer than K people contributed — not in the page, not in
//! results.json, not in any CSV.

use agentstat_facets::*;
use std::path::Path;
mod support;

fn prov() -> Provenance {
    Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "test-1".into(),
    }
}

fn facet(user: usize, i: usize, mode: WorkMode, outcome: Outcome) -> Facet {
    let p = prov();
    let expertise = Expertise::from_level((1 + (i + user) % 5) as u8).unwrap();
    let (succ, fail) = match outcome {
        Outcome::Succeeded => (4, 0),
        Outcome::Failed => (0, 4),
        _ => (2, 2),
    };
    let month = 3 + (i % 3);
    Facet {
        session_key: format!("s-{user}-{i}"),
        user_key: format!("user-{user}"),
        agent: "claude-code".into(),
        agent_version: Some("2.0.31".into()),
        interactive: true,
        excluded_reason: None,
        telemetry: Telemetry {
            human_turns: 2 + (i % 4) as u32,
            model_calls: Some(5 + i as u32),
            actions: 4 + (i * 3 % 11) as u32,
            successful_actions: 4,
            actions_per_prompt: 2.0 + (i % 5) as f64,
            words_per_prompt: 50.0 + (i * 17 % 90) as f64,
            lines_added: Some((i % 3) as u64 * 10),
            git_commits: (i % 2) as u32,
            test_runs: (i % 3) as u32,
            start_ms: Some(1_772_000_000_000 + (i as i64) * 86_400_000),
            month: Some(format!("2026-{month:02}")),
            models: vec!["claude-sonnet-4-5".into()],
            model_family: Some("sonnet".into()),
            ..Default::default()
        },
        habits: None,
        labels: Some(Labels {
            work_mode: Label::ok(mode, p.clone()),
            codebase_relation: Label::ok(CodebaseRelation::Modify, p.clone()),
            decisions: Label::ok(
                Decisions {
                    planning_user: 2,
                    planning_agent: (i % 3) as u32,
                    execution_user: 1,
                    execution_agent: 2 + (i % 4) as u32,
                },
                p.clone(),
            ),
            expertise: Label::ok(expertise, p.clone()),
            user_profile: Label::ok(UserProfile::Group(Occupation::ComputerMath), p.clone()),
            work_performed: Label::ok(Occupation::ComputerMath, p.clone()),
            outcome: Label::ok(outcome, p.clone()),
            success_signal: Label::ok(Signal::from_level(succ).unwrap(), p.clone()),
            failure_signal: Label::ok(Signal::from_level(fail).unwrap(), p.clone()),
            task_value: Label::ok(
                TaskValue {
                    usd: 150.0 + 40.0 * i as f64,
                    band: ValueBand::of_usd(150.0 + 40.0 * i as f64),
                },
                p,
            ),
        }),
    }
}

/// Four people doing Build and Fix; only user 0 ever does Communicate (two sessions).
fn team() -> Vec<Facet> {
    let mut v = Vec::new();
    for u in 0..4 {
        for i in 0..12 {
            let mode = if i % 2 == 0 {
                WorkMode::Build
            } else {
                WorkMode::Fix
            };
            let outcome = if i % 3 == 0 {
                Outcome::Failed
            } else {
                Outcome::Succeeded
            };
            v.push(facet(u, i, mode, outcome));
        }
    }
    v.push(facet(0, 100, WorkMode::Communicate, Outcome::Succeeded));
    v.push(facet(0, 101, WorkMode::Communicate, Outcome::Succeeded));
    v
}

#[test]
fn a_cell_from_fewer_than_k_people_never_appears() {
    let dir = tempfile::tempdir().unwrap();
    let team_file = dir.path().join("team.parquet");
    write_facets_file(&team_file);
    let out = dir.path().join("report");
    let o = support::agentstat(dir.path())
        .args(["report", "--facets"])
        .arg(&team_file)
        .args(["--min-users", "3", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "report failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["people"], 4);
    assert_eq!(s["personal_mode"], false);
    assert_eq!(s["min_users"], 3);
    assert!(s["suppressed_cells"].as_u64().unwrap() >= 1, "{s}");
    // Team mode copies no per-session data into the folder meant for sharing.
    assert!(!out.join("facets.parquet").exists());

    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["privacy"]["personal_mode"], false);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("Privacy threshold: 3 people."));
    assert!(
        !html.contains("id=\"personal\""),
        "no personal section in team mode"
    );

    // Every cell anywhere: published cells rest on >= 3 people; suppressed ones carry nothing.
    let mut communicate_rows = 0;
    for t in results["tables"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        let csv = std::fs::read_to_string(out.join("tables").join(format!("{id}.csv"))).unwrap();
        for row in t["rows"].as_array().unwrap() {
            let label = row["label"].as_str().unwrap();
            for c in row["cells"].as_array().unwrap() {
                if c["suppressed"] == true {
                    for k in ["value", "se", "ci_low", "ci_high", "p_value"] {
                        assert!(c[k].is_null(), "{id}/{label}: suppressed cell has {k}");
                    }
                } else if c["value"].is_number() {
                    assert!(
                        c["n_users"].as_u64().unwrap() >= 3,
                        "{id}/{label}: published below k: {c}"
                    );
                }
            }
            if label == "Communicate" {
                communicate_rows += 1;
                assert!(
                    row["cells"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|c| c["suppressed"] == true),
                    "{id}: the Communicate row (one person) must be suppressed: {row}"
                );
                for line in csv.lines().filter(|l| l.starts_with("Communicate,")) {
                    // No number; the reason and class columns follow the flag.
                    assert!(
                        line.contains(",,,,,,,,true,few_people,"),
                        "{id}.csv leaks: {line}"
                    );
                }
                let tr = html_row(&html, id, "Communicate");
                assert!(tr.contains("suppressed"), "{id}: {tr}");
                let text = strip_tags(&tr);
                assert!(
                    !text.chars().any(|c| c.is_ascii_digit()),
                    "{id}: number in suppressed row: {text}"
                );
            }
        }
    }
    assert!(
        communicate_rows >= 1,
        "the work-mode table must list Communicate (as suppressed)"
    );
}

fn write_facets_file(p: &Path) {
    agentstat_facets::parquet::write_facets(p, &team()).unwrap();
}

/// The `<tr>` of row `label` in the numbers table of `table_id`.
fn html_row(html: &str, table_id: &str, label: &str) -> String {
    let start = html
        .find(&format!("id=\"{table_id}-table\""))
        .expect("numbers table");
    let rest = &html[start..];
    let end = rest.find("</table>").unwrap();
    let table = &rest[..end];
    let key = format!("<th scope=\"row\">{label}</th>");
    let at = table
        .find(&key)
        .unwrap_or_else(|| panic!("row {label} not in {table_id}"));
    let row = &table[at..];
    row[..row.find("</tr>").unwrap()].to_string()
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// One person's file carrying four invented user keys (to fake the k-people threshold) is
/// refused by `merge`, with the file and its people count named; `--allow-multi-person` (a
/// team lead pooling already-pooled data) accepts it; honest one-person files merge as before.
#[test]
fn merge_refuses_a_file_carrying_several_people() {
    let dir = tempfile::tempdir().unwrap();
    let honest = dir.path().join("bob.parquet");
    let bob: Vec<Facet> = (0..3)
        .map(|i| facet(7, i, WorkMode::Build, Outcome::Succeeded))
        .collect();
    agentstat_facets::parquet::write_facets(&honest, &bob).unwrap();
    let forged = dir.path().join("mallory.parquet");
    let fake: Vec<Facet> = (0..5)
        .map(|u| facet(20 + u, u, WorkMode::Build, Outcome::Succeeded))
        .collect();
    agentstat_facets::parquet::write_facets(&forged, &fake).unwrap();

    let merge = |extra: &[&str]| {
        support::agentstat(dir.path())
            .arg("merge")
            .arg(&honest)
            .arg(&forged)
            .args(["--json", "--output"])
            .arg(dir.path().join("team.parquet"))
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = merge(&[]);
    assert!(
        !refused.status.success(),
        "a five-person file must be refused"
    );
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("mallory.parquet (5 people)") && err.contains("--allow-multi-person"),
        "{err}"
    );
    assert!(
        !err.contains("bob.parquet"),
        "the honest file is not blamed: {err}"
    );
    assert!(!dir.path().join("team.parquet").exists(), "nothing written");

    let allowed = merge(&["--allow-multi-person"]);
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&allowed.stdout).unwrap();
    let people: Vec<u64> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["people"].as_u64().unwrap())
        .collect();
    assert_eq!(people, vec![1, 5], "people per input file: {v}");
    assert_eq!(v["people"], 6);

    // Honest one-person files need no flag.
    let alone = support::agentstat(dir.path())
        .arg("merge")
        .arg(&honest)
        .arg("--output")
        .arg(dir.path().join("bob-only.parquet"))
        .output()
        .unwrap();
    assert!(
        alone.status.success(),
        "{}",
        String::from_utf8_lossy(&alone.stderr)
    );
}

/// `report --dp-epsilon` is the easy path against differencing two reports: with the `dp`
/// feature the document carries the DP ledger; without it the command says how to rebuild
/// before doing any work.
#[test]
fn report_takes_the_dp_option() {
    let dir = tempfile::tempdir().unwrap();
    let team_file = dir.path().join("team.parquet");
    write_facets_file(&team_file);
    let out = dir.path().join("report");
    let o = support::agentstat(dir.path())
        .args(["report", "--facets"])
        .arg(&team_file)
        .args(["--min-users", "3", "--dp-epsilon", "1", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.success() {
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap())
                .unwrap();
        assert!(!r["privacy"]["dp"].is_null(), "DP ledger in results.json");
    } else {
        assert!(err.contains("--features dp"), "{err}");
        assert!(
            !out.exists(),
            "nothing written before the option is checked"
        );
    }
}
