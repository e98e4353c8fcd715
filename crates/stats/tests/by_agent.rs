//! The agent as a dimension: the by-agent tables (only with more than one agent), people per
//! agent in the sample block, agent fixed effects in the preferred regressions, and the privacy
//! threshold on small agents. Synthetic facets with planted, hand-countable values.

use agentstat_facets::*;
use agentstat_stats::analyses::{analyse, BY_AGENT, BY_AGENT_WORK_MODE};
use agentstat_stats::privacy::{Rules, Threshold};
use agentstat_stats::regression::{fit, Design, Factor, FitOptions};
use agentstat_stats::results::{Results, Table};

fn prov() -> Provenance {
    Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "1".into(),
    }
}

/// One session. `level` 1–5, `succeeded` (else Failed), `hard` = success signal 4 (else 2),
/// `trouble` = failure signal 3 (else 1).
#[derive(Clone)]
struct S {
    agent: &'static str,
    user: usize,
    mode: WorkMode,
    level: u8,
    succeeded: bool,
    hard: bool,
    trouble: bool,
    interactive: bool,
    turns: u32,
    month: &'static str,
}

impl Default for S {
    fn default() -> Self {
        S {
            agent: "agent-a",
            user: 0,
            mode: WorkMode::Build,
            level: 3,
            succeeded: true,
            hard: true,
            trouble: false,
            interactive: true,
            turns: 3,
            month: "2026-01",
        }
    }
}

fn facet(i: usize, s: &S) -> Facet {
    let usd = 500.0;
    Facet {
        session_key: format!("s{i}"),
        user_key: format!("{}-user{}", s.agent, s.user),
        agent: s.agent.into(),
        agent_version: None,
        interactive: s.interactive,
        excluded_reason: (!s.interactive).then(|| "no human turns".into()),
        telemetry: Telemetry {
            human_turns: if s.interactive { s.turns } else { 0 },
            model_calls: Some(4 * s.turns + (i % 3) as u32),
            actions_per_prompt: 2.0 + (i % 5) as f64,
            words_per_prompt: 40.0 + (i % 7) as f64,
            actions: 6,
            lines_added: Some(10),
            start_ms: Some(1_767_225_600_000),
            month: Some(s.month.into()),
            model_family: Some("opus".into()),
            ..Telemetry::default()
        },
        habits: None,
        labels: Some(Labels {
            work_mode: Label::ok(s.mode, prov()),
            codebase_relation: Label::ok(CodebaseRelation::Modify, prov()),
            decisions: Label::ok(
                Decisions {
                    planning_user: 2,
                    planning_agent: 1,
                    execution_user: 1,
                    execution_agent: 3,
                },
                prov(),
            ),
            expertise: Label::ok(Expertise::from_level(s.level).unwrap(), prov()),
            user_profile: Label::ok(UserProfile::Group(Occupation::ComputerMath), prov()),
            work_performed: Label::ok(Occupation::ComputerMath, prov()),
            outcome: Label::ok(
                if s.succeeded {
                    Outcome::Succeeded
                } else {
                    Outcome::Failed
                },
                prov(),
            ),
            success_signal: Label::ok(if s.hard { Signal::S4 } else { Signal::S2 }, prov()),
            failure_signal: Label::ok(if s.trouble { Signal::S3 } else { Signal::S1 }, prov()),
            task_value: Label::ok(
                TaskValue {
                    usd,
                    band: ValueBand::of_usd(usd),
                },
                prov(),
            ),
        }),
    }
}

fn facets(sessions: &[S]) -> Vec<Facet> {
    sessions
        .iter()
        .enumerate()
        .map(|(i, s)| facet(i, s))
        .collect()
}

fn run(sessions: &[S], k: u32) -> Results {
    analyse(
        &facets(sessions),
        &Threshold {
            min_users: k,
            personal: false,
            rules: Rules::legacy(),
        },
    )
}

fn table<'a>(r: &'a Results, id: &str) -> Option<&'a Table> {
    r.tables.iter().find(|t| t.id == id)
}

/// `people` people of `agent`, each with `per` sessions; session `j` of a person succeeded
/// when `j < succeeded` (and then with hard evidence when `j < hard`), hit trouble when
/// `j >= per - trouble`.
fn agent(
    agent: &'static str,
    people: usize,
    per: usize,
    succeeded: usize,
    hard: usize,
    trouble: usize,
    mode: WorkMode,
) -> Vec<S> {
    let mut v = Vec::new();
    for user in 0..people {
        for j in 0..per {
            v.push(S {
                agent,
                user,
                mode,
                succeeded: j < succeeded,
                hard: j < hard,
                trouble: j >= per - trouble,
                level: 1 + ((user + j) % 5) as u8,
                turns: 1 + (j % 4) as u32,
                month: ["2026-01", "2026-02"][user % 2],
                ..S::default()
            });
        }
    }
    v
}

#[test]
fn two_agents_with_different_success_rates_are_shown_apart() {
    // agent-a: 4 of 5 sessions succeed (3 with hard evidence), 1 of 5 hits trouble;
    // agent-b: 1 of 5 succeeds (none verified), 3 of 5 hit trouble.
    let mut s = agent("agent-a", 12, 5, 4, 3, 1, WorkMode::Build);
    s.extend(agent("agent-b", 12, 5, 1, 0, 3, WorkMode::Fix));
    let r = run(&s, 5);
    let t = table(&r, BY_AGENT).expect("two agents: a by-agent table");
    let labels: Vec<&str> = t.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["agent-a", "agent-b"]);
    let keys: Vec<&str> = t.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "judged",
            "verified",
            "trouble",
            "verified_failure",
            "sessions",
            "people"
        ]
    );
    // (judged, verified, trouble, verified failure, sessions, people), counted by hand.
    let expect = [
        [0.8, 0.6, 0.2, 0.0, 60.0, 12.0],
        [0.2, 0.0, 0.6, 0.0, 60.0, 12.0],
    ];
    for (row, want) in t.rows.iter().zip(expect) {
        for (c, w) in row.cells.iter().zip(want) {
            assert!(!c.suppressed, "{}", row.label);
            let v = c.value.expect("published");
            assert!((v - w).abs() < 1e-12, "{}: {v} vs {w}", row.label);
            assert_eq!(c.n_sessions, 60);
            assert_eq!(c.n_users, 12);
        }
        // Rates carry a user-clustered interval inside [0, 1] that holds the rate.
        for c in &row.cells[..3] {
            let (lo, hi) = (c.ci_low.unwrap(), c.ci_high.unwrap());
            assert!(
                (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi) && lo <= c.value.unwrap()
            );
            assert!(hi <= 1.0 && c.value.unwrap() <= hi);
        }
    }
    assert_eq!(
        t.reading,
        "Judged success by agent: agent-a 80%, agent-b 20%."
    );
    // The work-mode composition per agent.
    let m = table(&r, BY_AGENT_WORK_MODE).expect("work modes by agent");
    let build = WorkMode::Build.index();
    let fix = WorkMode::Fix.index();
    assert_eq!(m.rows[0].cells[build].value, Some(1.0));
    assert_eq!(m.rows[1].cells[fix].value, Some(1.0));
    // A mode an agent never had rests on no one: suppressed, like every cell below k.
    assert!(m.rows[0].cells[fix].suppressed);
    // The sample block: sessions and people per agent.
    assert_eq!(r.sample.agents["agent-a"], 60);
    assert_eq!(r.sample.agent_people["agent-a"], 12);
    assert_eq!(r.sample.agent_people["agent-b"], 12);
    // Table A1 says the agent fixed effects are in.
    let a1 = table(&r, "table_a1").unwrap();
    assert!(a1
        .notes
        .iter()
        .any(|n| n.contains("column (6) also has agent fixed effects")));
}

#[test]
fn one_agent_gives_no_table_and_a_note() {
    let s = agent("agent-a", 12, 5, 4, 3, 1, WorkMode::Build);
    let r = run(&s, 5);
    assert!(table(&r, BY_AGENT).is_none());
    assert!(table(&r, BY_AGENT_WORK_MODE).is_none());
    let a1 = table(&r, "table_a1").unwrap();
    assert!(
        a1.notes
            .iter()
            .any(|n| n
                .contains("come from one agent: no agent fixed effects, and no by-agent table")),
        "{:?}",
        a1.notes
    );
    assert_eq!(r.sample.agent_people["agent-a"], 12);
    // Non-interactive sessions of a second agent do not make a second analysed agent.
    let mut s2 = s.clone();
    s2.extend((0..12).map(|user| S {
        agent: "agent-z",
        user,
        interactive: false,
        ..S::default()
    }));
    let r2 = run(&s2, 5);
    assert!(table(&r2, BY_AGENT).is_none());
    assert_eq!(r2.sample.agent_people["agent-z"], 12);
}

fn no_published_cell_below(r: &Results, k: u64) {
    for t in &r.tables {
        for row in &t.rows {
            for c in &row.cells {
                assert!(c.suppressed || c.n_users >= k, "{} / {}", t.id, row.label);
                if c.suppressed {
                    assert!(c.value.is_none() && c.n_sessions == 0 && c.n_users == 0);
                }
            }
        }
    }
}

#[test]
fn a_small_agent_is_suppressed_and_never_named() {
    // agent-c: 2 people, below k = 5: folded in the sample block (with the next smallest agent,
    // so the fold holds k people), and pooled in the table's "other agents" row, never named.
    let mut s = agent("agent-a", 12, 4, 3, 2, 1, WorkMode::Build);
    s.extend(agent("agent-b", 8, 4, 2, 1, 2, WorkMode::Fix));
    s.extend(agent("agent-c", 2, 6, 0, 0, 6, WorkMode::Plan));
    let r = run(&s, 5);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("agent-c"), "the small agent is named");
    let t = table(&r, BY_AGENT).unwrap();
    let labels: Vec<&str> = t.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["agent-a", "other agents"]);
    assert!(r.sample.agents.contains_key("other (suppressed)"));
    no_published_cell_below(&r, 5);

    // agent-c with 6 people, but only 2 of them with interactive sessions: the sample block
    // may name it (6 people), its row in the table is suppressed (2 people), and then the
    // sample block folds it too, so its session count there cannot give the row back.
    let mut s = agent("agent-a", 12, 4, 3, 2, 1, WorkMode::Build);
    s.extend(agent("agent-b", 8, 4, 2, 1, 2, WorkMode::Fix));
    s.extend(agent("agent-c", 2, 6, 0, 0, 6, WorkMode::Plan));
    s.extend((2..6).map(|user| S {
        agent: "agent-c",
        user,
        interactive: false,
        ..S::default()
    }));
    let r = run(&s, 5);
    let t = table(&r, BY_AGENT).unwrap();
    let c = t
        .rows
        .iter()
        .find(|r| r.label == "agent-c")
        .expect("named: 6 people use it");
    assert!(c.cells.iter().all(|c| c.suppressed));
    assert!(!r.sample.agents.contains_key("agent-c"));
    assert!(!r.sample.agent_people.contains_key("agent-c"));
    // Its hidden count is not the total minus the published rows.
    let published: u64 = t
        .rows
        .iter()
        .filter(|r| !r.cells[4].suppressed)
        .map(|r| r.cells[4].value.unwrap() as u64)
        .sum();
    assert_ne!(r.sample.interactive_sessions - published, 12);
    no_published_cell_below(&r, 5);
}

/// Table A1's preferred column against a direct fit: verified success on expertise with the
/// column (6) controls, plus the agent fixed effect when `with_agent`.
fn direct_a1_col6(s: &[S], with_agent: bool) -> f64 {
    let y: Vec<f64> = s
        .iter()
        .map(|x| f64::from(u8::from(x.succeeded && x.hard)))
        .collect();
    let lvl: Vec<f64> = s.iter().map(|x| f64::from(x.level)).collect();
    let fs = facets(s);
    let calls: Vec<f64> = fs
        .iter()
        .map(|f| f64::from(f.telemetry.model_calls.unwrap_or(0)).ln())
        .collect();
    let turns: Vec<f64> = s.iter().map(|x| f64::from(x.turns).ln()).collect();
    let band = |c: u32| match c {
        0..=9 => 0,
        10..=29 => 1,
        30..=99 => 2,
        _ => 3,
    };
    let mut fes = vec![
        Factor::from_keys(
            "mode",
            &s.iter().map(|x| x.mode.index()).collect::<Vec<_>>(),
        ),
        Factor::from_keys("month", &s.iter().map(|x| x.month).collect::<Vec<_>>()),
        Factor::from_keys(
            "tier",
            &fs.iter()
                .map(|f| band(f.telemetry.model_calls.unwrap_or(0)))
                .collect::<Vec<_>>(),
        ),
    ];
    if with_agent {
        fes.push(Factor::from_keys(
            "agent",
            &s.iter().map(|x| x.agent).collect::<Vec<_>>(),
        ));
    }
    let cluster: Vec<u32> = fs
        .iter()
        .map(|f| {
            let mut h = 0u32;
            for b in f.user_key.bytes() {
                h = h.wrapping_mul(31).wrapping_add(u32::from(b));
            }
            h
        })
        .collect();
    let design = Design {
        y: &y,
        x: vec![
            ("expertise".into(), &lvl),
            ("ln(model calls)".into(), &calls),
            ("ln(human turns)".into(), &turns),
        ],
        fixed_effects: fes.iter().collect(),
        cluster: &cluster,
        intercept: true,
    };
    fit(&design, &FitOptions::default())
        .unwrap()
        .coef("expertise")
        .unwrap()
        .estimate
}

#[test]
fn agent_fixed_effects_only_with_several_agents() {
    // agent-b's people are more expert on average and succeed less: pooled, the agent
    // difference leaks into the expertise slope; with agent fixed effects it does not.
    let mut s = Vec::new();
    for user in 0..15 {
        for j in 0..8 {
            let level = 1 + ((user + j) % 3) as u8;
            s.push(S {
                agent: "agent-a",
                user,
                level,
                succeeded: (user * 7 + j * 3) % 10 < 6 + usize::from(level),
                hard: j % 4 != 0,
                turns: 1 + (j % 4) as u32,
                month: ["2026-01", "2026-02"][j % 2],
                ..S::default()
            });
            let level = 3 + ((user + j) % 3) as u8;
            s.push(S {
                agent: "agent-b",
                user,
                level,
                succeeded: (user * 3 + j * 7) % 10 < usize::from(level) - 2,
                hard: j % 4 != 1,
                turns: 1 + ((j + 1) % 4) as u32,
                month: ["2026-01", "2026-02"][(j + 1) % 2],
                ..S::default()
            });
        }
    }
    let col6 = |r: &Results| {
        table(r, "table_a1").unwrap().rows[0].cells[5]
            .value
            .unwrap()
    };
    // Several agents: column (6) = the direct fit with the agent fixed effect.
    let r = run(&s, 5);
    let with = direct_a1_col6(&s, true);
    let without = direct_a1_col6(&s, false);
    assert!((col6(&r) - with).abs() < 1e-9, "{} vs {with}", col6(&r));
    assert!(
        (with - without).abs() > 1e-3,
        "the planted confounding moves the slope"
    );
    // Column (5) has no agent fixed effect.
    let a1 = table(&r, "table_a1").unwrap();
    assert!(a1.rows[0].cells[4].value.is_some());
    // One agent: column (6) is the study's specification, with no agent fixed effect.
    let one: Vec<S> = s.iter().filter(|x| x.agent == "agent-a").cloned().collect();
    let r1 = run(&one, 5);
    let want = direct_a1_col6(&one, false);
    assert!((col6(&r1) - want).abs() < 1e-9, "{} vs {want}", col6(&r1));
    assert!(!table(&r1, "table_a1")
        .unwrap()
        .notes
        .iter()
        .any(|n| n.contains("agent fixed effects (")));
}
