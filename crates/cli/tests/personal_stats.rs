//! Statistics for one person through the command line: `--min-users`/`--personal` (one
//! `PrivacyArgs` shared by `stats`, `report` and `agree`) → the mode → the numbers. One
//! identified person's facets file: `stats` is personal by itself, every regression is
//! estimated over sessions (HC1), no text speaks of clusters or too few people; with
//! `--min-users 3` the same file is fully suppressed; `--personal --min-users` is refused.

use agentstat_facets::*;
use std::path::Path;
use std::process::{Command, Output};

fn agentstat(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agentstat"));
    c.env("HOME", home)
        .env("AGENTSTAT_CACHE_DIR", home.join("cache"))
        .env("XDG_CACHE_HOME", home.join("xdg-cache"))
        .env("XDG_CONFIG_HOME", home.join("xdg-config"))
        .env("XDG_DATA_HOME", home.join("xdg-data"))
        .env("AGENTSTAT_SALT", "personal-stats-test")
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .current_dir(home);
    c
}

fn stdout_ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "agentstat failed: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into()
}

fn prov() -> Provenance {
    Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "1".into(),
    }
}

/// 48 sessions of one identified person, levels 2–5 (no Novice), two agents, four months.
fn one_person() -> Vec<Facet> {
    (0..48u32)
        .map(|i| {
            let level = 2 + (i * 7 % 4) as u8;
            let verified = (i * 5 + u32::from(level)) % 3 == 0;
            let (outcome, succ) = if verified {
                (Outcome::Succeeded, Signal::S4)
            } else if i % 2 == 0 {
                (Outcome::PartiallySucceeded, Signal::S2)
            } else {
                (Outcome::Failed, Signal::S1)
            };
            let usd = 50.0 + f64::from(i * 13 % 40) * 10.0;
            let turns = 2 + i % 9;
            Facet {
                session_key: format!("s{i}"),
                user_key: "me".into(),
                agent: if i % 4 == 0 { "codex" } else { "claude-code" }.into(),
                agent_version: None,
                interactive: true,
                excluded_reason: None,
                telemetry: Telemetry {
                    human_turns: turns,
                    model_calls: Some(turns * (2 + i % 5)),
                    actions_per_prompt: 1.0 + f64::from(level) * 0.4 + f64::from(i % 5) * 0.3,
                    words_per_prompt: 40.0 + f64::from(level) * 9.0 + f64::from(i % 7) * 5.0,
                    lines_added: Some(u64::from(i % 3) * 10),
                    start_ms: Some(1_767_225_600_000 + i64::from(i) * 86_400_000 * 2),
                    month: Some(format!("2026-0{}", 1 + i % 4)),
                    model_family: Some("opus".into()),
                    ..Telemetry::default()
                },
                habits: None,
                labels: Some(Labels {
                    work_mode: Label::ok(WorkMode::ALL[(i % 3) as usize], prov()),
                    codebase_relation: Label::ok(CodebaseRelation::Modify, prov()),
                    decisions: Label::ok(
                        Decisions {
                            planning_user: i % 4,
                            planning_agent: 2,
                            execution_user: 1,
                            execution_agent: 1 + i % 3,
                        },
                        prov(),
                    ),
                    expertise: Label::ok(Expertise::from_level(level).unwrap(), prov()),
                    user_profile: Label::ok(UserProfile::Group(Occupation::ALL[0]), prov()),
                    work_performed: Label::ok(Occupation::ALL[(i % 2) as usize], prov()),
                    outcome: Label::ok(outcome, prov()),
                    success_signal: Label::ok(succ, prov()),
                    failure_signal: Label::ok(Signal::ALL[(i % 4) as usize], prov()),
                    task_value: Label::ok(
                        TaskValue {
                            usd,
                            band: ValueBand::of_usd(usd),
                        },
                        prov(),
                    ),
                }),
            }
        })
        .collect()
}

fn table<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no table {id}"))
}

#[test]
fn one_person_is_analysed_over_sessions_and_k_applies_when_asked() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("me.parquet");
    parquet::write_facets(&file, &one_person()).unwrap();

    let out = stdout_ok(
        &agentstat(home.path())
            .arg("stats")
            .arg(&file)
            .arg("--json")
            .output()
            .unwrap(),
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["privacy"]["personal_mode"], true);
    assert_eq!(r["privacy"]["suppressed_cells"], 0);
    let text = out.to_lowercase();
    for team in ["cluster(s)", "too few people", "clustered by user", "(cr1)"] {
        assert!(!text.contains(team), "personal output says {team:?}");
    }
    let a1 = table(&r, "table_a1");
    assert!(a1["rows"][0]["cells"][0]["value"].is_f64(), "{a1}");
    assert!(a1["rows"][0]["cells"][0]["se"].as_f64().unwrap() > 0.0);
    for row in table(&r, "fig3_regression")["rows"].as_array().unwrap() {
        assert!(row["cells"][0]["value"].is_f64(), "{row}");
    }
    let a2 = table(&r, "table_a2");
    assert_eq!(a2["columns"][0]["label"], "Coefficient vs 2 Beginner");
    assert!(a2["notes"].to_string().contains("HC1"), "{a2}");

    // The plain-text rendering of the same run says no "too few people" either.
    let txt = stdout_ok(
        &agentstat(home.path())
            .arg("stats")
            .arg(&file)
            .output()
            .unwrap(),
    );
    assert!(txt.contains("Personal mode"), "{txt}");
    assert!(!txt.to_lowercase().contains("too few people"));

    // An explicit k applies even to one person: everything is suppressed.
    let out = stdout_ok(
        &agentstat(home.path())
            .args(["stats", "--min-users", "3", "--json"])
            .arg(&file)
            .output()
            .unwrap(),
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["privacy"]["personal_mode"], false);
    assert_eq!(r["privacy"]["min_users"], 3);
    assert!(r["privacy"]["suppressed_cells"].as_u64().unwrap() > 0);
    assert!(table(&r, "table_a1")["rows"][0]["cells"][0]["value"].is_null());

    // The two flags are one group in every command that publishes numbers.
    for cmd in [
        &["stats"][..],
        &["agree", "x.parquet"][..],
        &["report", "--facets"][..],
    ] {
        let o = agentstat(home.path())
            .args(cmd)
            .arg(&file)
            .args(["--personal", "--min-users", "3"])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(2),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
    }

    // `agree` decides the mode the same way: one person → personal, Wilson agreement.
    let out = stdout_ok(
        &agentstat(home.path())
            .arg("agree")
            .arg(&file)
            .arg(&file)
            .arg("--json")
            .output()
            .unwrap(),
    );
    let g: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(g["privacy"]["personal_mode"], true, "{g}");
}
