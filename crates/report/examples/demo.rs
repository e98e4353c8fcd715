//! Writes a report from a synthetic, study-shaped results document (team mode, with suppressed
//! cells) so the page can be looked at and browser-tested without any transcripts.
//!
//! `cargo run -p agentstat-report --example demo -- OUT_DIR`

use agentstat_stats::results::*;
use std::collections::BTreeMap;

fn cell(v: f64, n: u64, users: u64, k: u64) -> Cell {
    if users < k {
        return Cell {
            suppressed: true,
            n_sessions: n,
            n_users: users,
            ..Default::default()
        };
    }
    let se = (v.abs().max(0.05) * 0.15) / (n as f64).sqrt().max(1.0) * 3.0;
    Cell {
        value: Some(v),
        se: Some(se),
        ci_low: Some(v - 1.96 * se),
        ci_high: Some(v + 1.96 * se),
        p_value: None,
        n_sessions: n,
        n_users: users,
        suppressed: false,
        ..Default::default()
    }
}

fn plain(v: f64, n: u64, users: u64, k: u64) -> Cell {
    let mut c = cell(v, n, users, k);
    c.se = None;
    c.ci_low = None;
    c.ci_high = None;
    c
}

fn col(key: &str, label: &str, unit: &str) -> Column {
    Column {
        key: key.into(),
        label: label.into(),
        unit: unit.into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn table(
    id: &str,
    fig: &str,
    title: &str,
    reading: &str,
    study: Option<&str>,
    chart: Chart,
    columns: Vec<Column>,
    rows: Vec<(&str, Vec<Cell>)>,
) -> Table {
    Table {
        id: id.into(),
        figure: fig.into(),
        title: title.into(),
        reading: reading.into(),
        study_reference: study.map(String::from),
        chart,
        columns,
        rows: rows
            .into_iter()
            .map(|(l, c)| Row {
                label: l.into(),
                cells: c,
            })
            .collect(),
        notes: vec![],
        caution: Vec::new(),
    }
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/browser/demo".into());
    let personal = std::env::args().nth(2).as_deref() == Some("personal");
    let k = if personal { 0 } else { 3 };
    let modes = [
        ("Build", 0.31, 9),
        ("Fix", 0.22, 8),
        ("Understand", 0.14, 7),
        ("Operate", 0.09, 6),
        ("Plan", 0.08, 5),
        ("Test", 0.06, 5),
        ("Analyze", 0.05, 4),
        ("Orchestrate", 0.04, 3),
        ("Communicate", 0.01, 1),
    ];
    let levels = [
        "1 Novice",
        "2 Beginner",
        "3 Intermediate",
        "4 Advanced",
        "5 Expert",
    ];
    let mut tables = vec![
        table(
            "fig1_work_mode",
            "Fig. 1",
            "Share of sessions by work mode",
            "Build is the most common work mode here (31% of sessions), as in the study.",
            Some("study: Build 25%, Fix 20%, Understand 14%"),
            Chart::Bars,
            vec![col("share", "Share of sessions", "share")],
            modes
                .iter()
                .map(|(m, s, u)| (*m, vec![cell(*s, (s * 400.0) as u64, *u, k)]))
                .collect(),
        ),
        table(
            "fig1_codebase",
            "Fig. 1",
            "Codebase relation",
            "Most sessions modify existing code.",
            Some("study: modify 48%, explore 17%, create 14%, no codebase about 20%"),
            Chart::Stacked,
            vec![
                col("modify", "Modify existing code", "share"),
                col("explore", "Explore existing code", "share"),
                col("create", "Create new code from scratch", "share"),
                col("none", "No codebase", "share"),
            ],
            vec![
                (
                    "All sessions",
                    vec![
                        plain(0.52, 208, 9, k),
                        plain(0.15, 60, 7, k),
                        plain(0.13, 52, 6, k),
                        plain(0.20, 80, 8, k),
                    ],
                ),
                (
                    "Wrote code",
                    vec![
                        plain(0.70, 150, 9, k),
                        plain(0.02, 4, 2, k),
                        plain(0.28, 60, 6, k),
                        plain(0.0, 0, 0, k),
                    ],
                ),
            ],
        ),
        table(
            "fig2_decisions",
            "Fig. 2",
            "Agent's share of decisions",
            "The agent makes most execution decisions and few planning decisions.",
            Some("study: users make about 70% of planning and 20% of execution decisions"),
            Chart::Histogram,
            vec![col("share", "Share of sessions", "share")],
            ["0–20%", "20–40%", "40–60%", "60–80%", "80–100%"]
                .iter()
                .zip([0.12, 0.18, 0.25, 0.28, 0.17])
                .map(|(b, s)| (*b, vec![plain(s, (s * 400.0) as u64, 8, k)]))
                .collect(),
        ),
    ];
    let boxes = |id: &str, title: &str, scale: f64, study: &str, reading: &str| {
        table(
            id,
            "Fig. 3",
            title,
            reading,
            Some(study),
            Chart::Box,
            vec![
                col("p5", "p5", "count"),
                col("p25", "p25", "count"),
                col("median", "median", "count"),
                col("p75", "p75", "count"),
                col("p95", "p95", "count"),
                col("geomean", "geometric mean", "count"),
            ],
            levels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let m = scale * (1.0 + 0.1 * i as f64);
                    let u = if i == 0 { 2 } else { 6 };
                    (
                        *l,
                        [0.15, 0.5, 1.0, 2.1, 6.0, 1.05]
                            .iter()
                            .map(|f| plain(m * f, 80, u, k))
                            .collect(),
                    )
                })
                .collect(),
        )
    };
    tables.push(boxes(
        "fig3_actions",
        "Actions per prompt by expertise",
        6.0,
        "study: +9% actions per expertise level",
        "Higher-expertise sessions see the agent take more actions per prompt.",
    ));
    tables.push(boxes(
        "fig3_words",
        "Output words per prompt by expertise",
        180.0,
        "study: +13% output words per level",
        "Output per prompt grows with expertise.",
    ));
    tables.push(table(
        "fig3_regression",
        "Fig. 3",
        "Log actions and log words per prompt on expertise",
        "Each expertise level goes with about 8% more actions per prompt.",
        Some("study: +9% actions, +13% words per level"),
        Chart::Points,
        vec![
            col("actions", "log actions per prompt", "coef"),
            col("words", "log words per prompt", "coef"),
        ],
        vec![(
            "Expertise (per level)",
            vec![cell(0.081, 400, 9, k), cell(0.117, 400, 9, k)],
        )],
    ));
    let months = [
        "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
    ];
    tables.push(table(
        "fig4_modes_by_month",
        "Fig. 4",
        "Work-mode shares by month",
        "Build's share grows month by month.",
        None,
        Chart::Lines,
        vec![
            col("build", "Build", "share"),
            col("fix", "Fix", "share"),
            col("understand", "Understand", "share"),
        ],
        months
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let u = if i == 0 { 2 } else { 5 };
                (
                    *m,
                    vec![
                        plain(0.25 + 0.02 * i as f64, 60, u, k),
                        plain(0.24 - 0.01 * i as f64, 60, u, k),
                        plain(0.15, 60, u, k),
                    ],
                )
            })
            .collect(),
    ));
    tables.push(table(
        "fig4_value_by_month",
        "Fig. 4",
        "Task-value index by month",
        "Typical task value holds steady.",
        None,
        Chart::Lines,
        vec![col("value", "Median task value", "usd")],
        months
            .iter()
            .enumerate()
            .map(|(i, m)| (*m, vec![plain(300.0 + 20.0 * i as f64, 60, 5, k)]))
            .collect(),
    ));
    tables.push(table(
        "fig5_success",
        "Fig. 5",
        "Adjusted success rates by expertise",
        "Verified success rises with expertise.",
        Some("study: verified success +3.8 points per level"),
        Chart::Points,
        vec![
            col("partial", "At least partial success", "rate"),
            col("judged", "Judged success", "rate"),
            col("verified", "Verified success", "rate"),
        ],
        levels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let u = if i == 4 { 1 } else { 6 };
                let b = 0.05 * i as f64;
                (
                    *l,
                    vec![
                        cell(0.7 + b / 2.0, 80, u, k),
                        cell(0.55 + b, 80, u, k),
                        cell(0.2 + b, 80, u, k),
                    ],
                )
            })
            .collect(),
    ));
    tables.push(table(
        "fig6_occupation",
        "Fig. 6",
        "Success by occupation (sessions that wrote code)",
        "Software professionals and others succeed at similar rates.",
        None,
        Chart::Points,
        vec![
            col("judged", "Judged success", "rate"),
            col("verified", "Verified success", "rate"),
        ],
        vec![
            (
                "Computer and Mathematical",
                vec![cell(0.62, 200, 7, k), cell(0.31, 200, 7, k)],
            ),
            (
                "Life, Physical, and Social Science",
                vec![cell(0.58, 40, 3, k), cell(0.25, 40, 3, k)],
            ),
            ("Legal", vec![cell(0.5, 4, 1, k), cell(0.2, 4, 1, k)]),
        ],
    ));
    tables.push(table(
        "figa1_signals",
        "Fig. A1",
        "P(Succeeded) by signal level",
        "Stronger success signals go with more Succeeded labels.",
        None,
        Chart::Lines,
        vec![
            col("success", "by success signal", "rate"),
            col("failure", "by failure signal", "rate"),
        ],
        ["NONE", "1", "2", "3", "4", "5"]
            .iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    *l,
                    vec![
                        plain(0.1 + 0.17 * i as f64, 50, 6, k),
                        plain(0.9 - 0.17 * i as f64, 50, 6, k),
                    ],
                )
            })
            .collect(),
    ));
    tables.push(table(
        "figa2_delegation",
        "Fig. A2",
        "Actions per prompt by agent decision share",
        "The more the agent decides, the more it does per prompt.",
        None,
        Chart::Bars,
        vec![col(
            "actions",
            "Actions per prompt (geometric mean)",
            "ratio",
        )],
        ["0–20%", "20–40%", "40–60%", "60–80%", "80–100%"]
            .iter()
            .enumerate()
            .map(|(i, b)| (*b, vec![cell(3.0 + 1.5 * i as f64, 80, 6, k)]))
            .collect(),
    ));
    tables.push(table(
        "table_a1",
        "Table A1",
        "Verified success on expertise, adding controls",
        "The expertise gradient survives every set of controls.",
        Some("study: +0.0379 (0.0009) per level in the preferred column"),
        Chart::Points,
        vec![col("coef", "Coefficient on expertise", "coef")],
        [
            "(1) none",
            "(2) + mode × value band",
            "(3) + month",
            "(4) + work performed",
            "(5) + user profile",
            "(6) + model × length",
        ]
        .iter()
        .enumerate()
        .map(|(i, l)| (*l, vec![cell(0.05 - 0.003 * i as f64, 400, 9, k)]))
        .collect(),
    ));
    tables.push(table(
        "table_a2",
        "Table A2",
        "Verified success by expertise level (Novice omitted)",
        "Every level above Novice has higher verified success.",
        None,
        Chart::None,
        vec![
            col("coef", "Coefficient", "coef"),
            col("unadj", "Unadjusted rate", "rate"),
            col("adj", "Adjusted rate", "rate"),
        ],
        levels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let u = if i == 4 { 1 } else { 6 };
                (
                    *l,
                    vec![
                        cell(0.04 * i as f64, 80, u, k),
                        plain(0.2 + 0.04 * i as f64, 80, u, k),
                        plain(0.21 + 0.04 * i as f64, 80, u, k),
                    ],
                )
            })
            .collect(),
    ));
    // Two agents: the by-agent tables (agentstat_stats produces them only then).
    let agents = [
        ("claude-code", 390, 9, 0.48, 0.27),
        ("gemini-cli", 10, 3, 0.4, 0.1),
    ];
    tables.push(table(
        "by_agent",
        "By agent",
        "Sessions, people and success by agent",
        "Judged success by agent: claude-code 48%, gemini-cli 40%.",
        None,
        Chart::Points,
        vec![
            col("judged", "Judged success", "rate"),
            col(
                "verified",
                "Verified success (Succeeded, success signal 4–5)",
                "rate",
            ),
            col("trouble", "Hit trouble (failure signal ≥ 3)", "rate"),
            col(
                "verified_failure",
                "Verified failure (Failed, failure signal 4–5)",
                "rate",
            ),
            col("sessions", "Interactive sessions", "count"),
            col("people", "People", "count"),
        ],
        agents
            .iter()
            .map(|&(a, n, u, j, v)| {
                // Verified failure rests on too few people for the smaller agent.
                let vf_users = if u < 5 { 2 } else { u };
                (
                    a,
                    vec![
                        plain(j, n, u, k),
                        plain(v, n, u, k),
                        plain(0.2, n, u, k),
                        plain(0.05, n, vf_users, k),
                        plain(n as f64, n, u, k),
                        plain(u as f64, n, u, k),
                    ],
                )
            })
            .collect(),
    ));
    tables.push(table(
        "by_agent_work_mode",
        "By agent",
        "Work-mode shares by agent",
        "How the mix of work modes differs between agents.",
        None,
        Chart::Stacked,
        modes.iter().map(|(m, _, _)| col(m, m, "share")).collect(),
        agents
            .iter()
            .map(|&(a, n, u, _, _)| {
                let cells = modes
                    .iter()
                    .map(|&(_, share, users)| {
                        let users = users.min(u);
                        plain(share, (share * n as f64) as u64, users, k)
                    })
                    .collect();
                (a, cells)
            })
            .collect(),
    ));
    let suppressed = tables
        .iter()
        .flat_map(|t| t.rows.iter().flat_map(|r| r.cells.iter()))
        .filter(|c| c.suppressed)
        .count() as u32;
    if personal {
        tables.extend(agentstat_report::personal_habits(&habit_facets(), 10, true));
    }
    let results = Results {
        schema_version: SCHEMA_VERSION,
        generated_by: "agentstat demo (synthetic data)".into(),
        privacy: Privacy {
            min_users: if personal { 10 } else { k as u32 },
            personal_mode: personal,
            suppressed_cells: suppressed,
            dp: None,
            ..Default::default()
        },
        sample: Sample {
            sessions: 430,
            interactive_sessions: 400,
            excluded: BTreeMap::from([("no human turns".to_string(), 30)]),
            people: 9,
            first_day: Some("2026-01-04".into()),
            last_day: Some("2026-06-28".into()),
            agents: BTreeMap::from([
                ("claude-code".to_string(), 420),
                ("gemini-cli".to_string(), 10),
            ]),
            agent_people: BTreeMap::from([
                ("claude-code".to_string(), 9),
                ("gemini-cli".to_string(), 3),
            ]),
            model_families: BTreeMap::from([
                ("opus".to_string(), 250),
                ("sonnet".to_string(), 180),
            ]),
            classifiers: BTreeMap::from([("heuristic / rules / h1".to_string(), 400)]),
            classifier_notes: Vec::new(),
            label_trust: Vec::new(),
            classification_errors: 0,
            skipped_lines: Some(3),
            skipped_by_reason: BTreeMap::from([("invalid json".to_string(), 3)]),
            unreadable_sources: Some(1),
            people_identified: 9,
            unidentified_key: false,
        },
        tables,
    };
    match agentstat_report::write_report(std::path::Path::new(&out), &results) {
        Ok(w) => println!("{}", w.index_html.display()),
        Err(e) => {
            eprintln!("demo: {e}");
            std::process::exit(1);
        }
    }
}

/// One person's sessions with a few habits that go with success or trouble.
fn habit_facets() -> Vec<agentstat_facets::Facet> {
    use agentstat_facets::*;
    let p = Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "demo".into(),
    };
    (0..60u32)
        .map(|i| {
            let tests = i % 3 != 0;
            let commit = i % 2 == 0;
            let good = (tests && commit) || i % 7 == 0;
            let (outcome, succ, fail) = if good {
                (Outcome::Succeeded, 4, 0)
            } else if i % 5 == 0 {
                (Outcome::Failed, 0, 4)
            } else {
                (Outcome::PartiallySucceeded, 2, 3)
            };
            Facet {
                session_key: format!("s{i}"),
                user_key: "me".into(),
                agent: "claude-code".into(),
                agent_version: None,
                interactive: true,
                excluded_reason: None,
                telemetry: Telemetry {
                    human_turns: 2 + i % 14,
                    test_runs: tests as u32,
                    last_test_passed: tests.then_some(good),
                    git_commits: commit as u32,
                    interrupts: (i % 4 == 0) as u32,
                    permission_mode: Some(if i % 6 == 0 { "plan" } else { "default" }.into()),
                    subagents: (i % 5 == 1) as u32,
                    ..Default::default()
                },
                habits: None,
                labels: Some(Labels {
                    work_mode: Label::ok(WorkMode::Build, p.clone()),
                    codebase_relation: Label::ok(CodebaseRelation::Modify, p.clone()),
                    decisions: Label::ok(Decisions::default(), p.clone()),
                    expertise: Label::ok(Expertise::Intermediate, p.clone()),
                    user_profile: Label::ok(UserProfile::Unclear, p.clone()),
                    work_performed: Label::ok(Occupation::ComputerMath, p.clone()),
                    outcome: Label::ok(outcome, p.clone()),
                    success_signal: Label::ok(Signal::from_level(succ).unwrap(), p.clone()),
                    failure_signal: Label::ok(Signal::from_level(fail).unwrap(), p.clone()),
                    task_value: Label::failed("not run", p.clone()),
                }),
            }
        })
        .collect()
}
