//! The study's analyses on synthetic facets with planted effects: every table is produced, the
//! rubric's sample filters hold, planted effects are recovered, and the privacy threshold is
//! never breached (property test).

use agentstat_facets::*;
use agentstat_stats::analyses::{analyse, analyse_with_dp, DpOptions, DP_AVAILABLE};
use agentstat_stats::privacy::{Rules, Threshold};
use agentstat_stats::results::{Results, Table};
use proptest::prelude::*;

/// Small deterministic generator (SplitMix64), so tests need no random-number crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn prov() -> Provenance {
    Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "1".into(),
    }
}

/// Planted effects: ln(actions per prompt) and ln(words per prompt) rise by 0.09 and 0.12 per
/// expertise level; P(verified success) rises by 0.05 per level.
fn synth(users: usize, per_user: usize, seed: u64) -> Vec<Facet> {
    let mut r = Rng(seed);
    let mut out = Vec::new();
    for u in 0..users {
        let user_skill = r.below(3) as i32 - 1;
        let profile = if r.below(4) == 0 {
            UserProfile::Unclear
        } else {
            UserProfile::Group(Occupation::ALL[r.below(3)])
        };
        for s in 0..per_user {
            let level = (2 + user_skill + r.below(3) as i32).clamp(1, 5) as u8;
            let mode = WorkMode::ALL[r.below(9)];
            let month = format!("2026-0{}", 1 + r.below(4));
            let usd = (3.0 + 4.0 * r.unit()).exp() * 10.0;
            let lvl = f64::from(level);
            let apt = (1.0 + 0.09 * lvl + 0.3 * r.normal()).exp();
            let wpt = (4.0 + 0.12 * lvl + 0.3 * r.normal()).exp();
            let turns = 1 + r.below(12) as u32;
            let goal = r.below(10) != 0;
            let verified = r.unit() < 0.15 + 0.05 * lvl;
            let (outcome, succ, fail) = if !goal {
                (Outcome::NoClearGoal, Signal::S1, Signal::None)
            } else if verified {
                (Outcome::Succeeded, Signal::S4, Signal::ALL[r.below(3)])
            } else {
                match r.below(3) {
                    0 => (Outcome::Succeeded, Signal::S2, Signal::S1),
                    1 => (Outcome::PartiallySucceeded, Signal::S3, Signal::S3),
                    _ => (Outcome::Failed, Signal::S1, Signal::ALL[3 + r.below(3)]),
                }
            };
            let lines = if r.below(3) == 0 {
                0
            } else {
                1 + r.below(200) as u64
            };
            let relation = if lines > 0 {
                CodebaseRelation::Modify
            } else {
                CodebaseRelation::ALL[1 + 2 * r.below(2)]
            };
            let pu = r.below(6) as u32;
            let eu = r.below(4) as u32;
            out.push(Facet {
                session_key: format!("{seed}-{u}-{s}"),
                user_key: format!("user{u}"),
                agent: "claude-code".into(),
                agent_version: Some("2.1.0".into()),
                interactive: true,
                excluded_reason: None,
                telemetry: Telemetry {
                    human_turns: turns,
                    model_calls: Some(turns * (1 + r.below(20) as u32)),
                    actions_per_prompt: apt,
                    words_per_prompt: wpt,
                    actions: (apt * f64::from(turns)) as u32,
                    lines_added: Some(lines),
                    start_ms: Some(1_767_225_600_000 + (s as i64) * 86_400_000),
                    month: Some(month),
                    model_family: Some(["opus", "sonnet"][r.below(2)].into()),
                    ..Telemetry::default()
                },
                habits: None,
                labels: Some(Labels {
                    work_mode: Label::ok(mode, prov()),
                    codebase_relation: Label::ok(relation, prov()),
                    decisions: Label::ok(
                        Decisions {
                            planning_user: pu,
                            planning_agent: 5 - pu.min(5),
                            execution_user: eu,
                            execution_agent: 6 - eu,
                        },
                        prov(),
                    ),
                    expertise: Label::ok(Expertise::from_level(level).unwrap(), prov()),
                    user_profile: Label::ok(profile, prov()),
                    work_performed: Label::ok(Occupation::ALL[r.below(2)], prov()),
                    outcome: Label::ok(outcome, prov()),
                    success_signal: Label::ok(succ, prov()),
                    failure_signal: Label::ok(fail, prov()),
                    task_value: Label::ok(
                        TaskValue {
                            usd,
                            band: ValueBand::of_usd(usd),
                        },
                        prov(),
                    ),
                }),
            });
        }
    }
    out
}

fn headless(i: usize, user: &str) -> Facet {
    Facet {
        session_key: format!("headless-{i}"),
        user_key: user.into(),
        agent: "openhands".into(),
        agent_version: None,
        interactive: false,
        excluded_reason: Some("no human turns".into()),
        telemetry: Telemetry {
            actions: 999,
            lines_added: Some(5000),
            ..Telemetry::default()
        },
        habits: None,
        labels: None,
    }
}

/// JSON equality up to floating-point summation order (the clustered sums iterate hash maps).
fn assert_close(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                "{path}: {x} vs {y}"
            );
        }
        (Array(x), Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_close(p, q, &format!("{path}[{i}]"));
            }
        }
        (Object(x), Object(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (k, p) in x {
                assert_close(p, &y[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

fn table<'a>(r: &'a Results, id: &str) -> &'a Table {
    r.tables
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("table {id} missing"))
}

fn value(r: &Results, id: &str, row: usize, col: usize) -> Option<f64> {
    table(r, id).rows[row].cells[col].value
}

const IDS: &[&str] = &[
    "fig1_work_mode",
    "fig1_codebase_relation",
    "fig2_agent_decision_share",
    "fig2_user_decision_share",
    "fig3_actions_by_expertise",
    "fig3_words_by_expertise",
    "fig3_regression",
    "fig4_work_mode_by_month",
    "fig4_value_by_month",
    "fig4_value_by_mode",
    "fig5_adjusted_rates",
    "fig5_troubled",
    "fig6_occupation",
    "table_a1",
    "table_a2",
    "figa1_success_by_signal",
    "figa2_by_agent_share",
    "validation_writes_code",
];

#[test]
fn every_table_is_produced_with_consistent_shapes() {
    let facets = synth(60, 40, 1);
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 5,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    let ids: Vec<&str> = r.tables.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, IDS);
    for t in &r.tables {
        assert!(!t.reading.is_empty(), "{} has no reading", t.id);
        assert!(!t.rows.is_empty(), "{} has no rows", t.id);
        for row in &t.rows {
            assert_eq!(
                row.cells.len(),
                t.columns.len(),
                "{} row {}",
                t.id,
                row.label
            );
        }
    }
    // Shares of a composition sum to one.
    let s: f64 = table(&r, "fig1_work_mode")
        .rows
        .iter()
        .filter_map(|x| x.cells[0].value)
        .sum();
    assert!((s - 1.0).abs() < 1e-9, "work-mode shares sum to {s}");
    for c in 0..2 {
        let s: f64 = table(&r, "fig2_agent_decision_share")
            .rows
            .iter()
            .filter_map(|x| x.cells[c].value)
            .sum();
        assert!((s - 1.0).abs() < 1e-9);
    }
    assert_eq!(r.sample.sessions, 2400);
    assert_eq!(r.sample.people, 60);
    // Month level outside personal mode (both end months have at least k people).
    assert_eq!(r.sample.first_day.as_deref(), Some("2026-01"));
    assert_eq!(r.privacy.min_users, 5);
    assert!(!r.privacy.personal_mode);
    // JSON round trip of the whole document.
    let json = serde_json::to_string(&r).unwrap();
    let back: Results = serde_json::from_str(&json).unwrap();
    assert_eq!(back.tables.len(), r.tables.len());
}

#[test]
fn planted_effects_are_recovered() {
    let facets = synth(200, 30, 7);
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 5,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    // Fig. 3: exp(0.09) − 1 = 9.4% and exp(0.12) − 1 = 12.7% per level.
    let a = value(&r, "fig3_regression", 0, 1).unwrap();
    let w = value(&r, "fig3_regression", 1, 1).unwrap();
    assert!((a - 0.094).abs() < 0.03, "actions per level {a}");
    assert!((w - 0.127).abs() < 0.03, "words per level {w}");
    // Table A1: +0.05 per level in every column.
    for c in 0..6 {
        let b = value(&r, "table_a1", 0, c).unwrap();
        assert!((b - 0.05).abs() < 0.025, "column {c}: {b}");
        let cell = table(&r, "table_a1").rows[0].cells[c];
        assert!(cell.se.unwrap() > 0.0 && cell.p_value.unwrap() < 0.01);
        assert!(cell.n_users >= 5);
    }
    // Table A2: adjusted rates rise from Novice to Expert; Novice coefficient is the reference.
    let a2 = table(&r, "table_a2");
    assert_eq!(a2.rows[0].cells[0].value, None);
    let lo = a2.rows[0].cells[2].value.unwrap();
    let hi = a2.rows[4].cells[2].value.unwrap();
    assert!(hi - lo > 0.1, "adjusted rates {lo} → {hi}");
    // Fig. 5: verified column agrees with Table A2's adjusted rates (same model).
    assert!((value(&r, "fig5_adjusted_rates", 4, 2).unwrap() - hi).abs() < 1e-12);
    // Geometric means grow with level.
    let g1 = value(&r, "fig3_actions_by_expertise", 0, 5).unwrap();
    let g5 = value(&r, "fig3_actions_by_expertise", 4, 5).unwrap();
    assert!(g5 > g1);
    // Validation: every Modify session has lines; none of the others do.
    assert_eq!(value(&r, "validation_writes_code", 2, 0), Some(1.0));
    // Fig. 2: users make 0–5 of 5 planning decisions, mean 2.5/5.
    let p = value(&r, "fig2_user_decision_share", 0, 0).unwrap();
    assert!((p - 0.5).abs() < 0.05, "{p}");
}

#[test]
fn non_interactive_sessions_change_nothing_but_the_sample() {
    let facets = synth(30, 20, 3);
    let opts = Threshold {
        min_users: 3,
        personal: false,
        rules: Rules::legacy(),
    };
    let base = analyse(&facets, &opts);
    let mut more = facets.clone();
    more.extend((0..50).map(|i| headless(i, &format!("bot{i}"))));
    let r = analyse(&more, &opts);
    assert_close(
        &serde_json::to_value(&r.tables).unwrap(),
        &serde_json::to_value(&base.tables).unwrap(),
        "tables",
    );
    assert_eq!(r.sample.sessions, 650);
    assert_eq!(r.sample.interactive_sessions, 600);
    assert_eq!(r.sample.excluded.get("no human turns"), Some(&50));
}

#[test]
fn no_clear_goal_is_excluded_from_success_analyses() {
    let facets = synth(40, 20, 5);
    let opts = Threshold {
        min_users: 3,
        personal: false,
        rules: Rules::legacy(),
    };
    let base = analyse(&facets, &opts);
    // Turn every No clear goal session into a failure: success tables must change, work-mode
    // shares must not.
    let mut changed = facets.clone();
    let mut n = 0;
    for f in &mut changed {
        let l = f.labels.as_mut().unwrap();
        if l.outcome.value == Some(Outcome::NoClearGoal) {
            l.outcome.value = Some(Outcome::Failed);
            n += 1;
        }
    }
    assert!(n > 20);
    let r = analyse(&changed, &opts);
    assert_ne!(value(&r, "table_a1", 0, 0), value(&base, "table_a1", 0, 0));
    assert_ne!(value(&r, "table_a1", 2, 0), value(&base, "table_a1", 2, 0));
    assert_close(
        &serde_json::to_value(&table(&r, "fig1_work_mode").rows).unwrap(),
        &serde_json::to_value(&table(&base, "fig1_work_mode").rows).unwrap(),
        "fig1",
    );
    // The original A1 sample counts only sessions with a goal.
    let goal = facets
        .iter()
        .filter(|f| f.labels.as_ref().unwrap().outcome.value != Some(Outcome::NoClearGoal))
        .count() as f64;
    assert!(value(&base, "table_a1", 2, 0).unwrap() <= goal);
}

#[test]
fn unclear_user_profile_is_excluded_from_occupation_analysis() {
    let facets = synth(40, 10, 11);
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 1,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    let fig6 = table(&r, "fig6_occupation");
    assert!(fig6.rows.iter().all(|row| row.label != "Unclear"));
    let listed: u64 = fig6.rows.iter().map(|row| row.cells[0].n_sessions).sum();
    let expected = facets
        .iter()
        .filter(|f| {
            let d = f.derived();
            let l = f.labels.as_ref().unwrap();
            d.in_success_sample
                && d.wrote_code
                && l.user_profile.value != Some(UserProfile::Unclear)
        })
        .count() as u64;
    assert_eq!(listed, expected);
}

#[test]
fn high_threshold_suppresses_everything_and_personal_mode_nothing() {
    let facets = synth(12, 15, 9);
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 13,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    let cells: Vec<_> = r
        .tables
        .iter()
        .flat_map(|t| &t.rows)
        .flat_map(|x| &x.cells)
        .collect();
    assert!(cells
        .iter()
        .all(|c| c.suppressed && c.value.is_none() && c.se.is_none()));
    assert_eq!(r.privacy.suppressed_cells as usize, cells.len());
    assert!(r
        .tables
        .iter()
        .all(|t| !t.reading.contains('%') || t.id == "fig2_agent_decision_share"));

    let one: Vec<Facet> = synth(1, 200, 4);
    let r = analyse(
        &one,
        &Threshold {
            min_users: 10,
            personal: true,
            rules: Rules::legacy(),
        },
    );
    assert!(r.privacy.personal_mode);
    assert_eq!(r.privacy.suppressed_cells, 0);
    assert!(value(&r, "fig1_work_mode", 0, 0).is_some());
    assert!(value(&r, "fig3_actions_by_expertise", 1, 2).is_some());
}

#[test]
fn empty_and_unlabelled_input_does_not_panic() {
    let r = analyse(&[], &Threshold::default());
    assert_eq!(r.sample.sessions, 0);
    assert_eq!(r.tables.len(), IDS.len());
    let mut f = synth(3, 3, 2);
    for x in &mut f {
        x.labels = None;
    }
    let r = analyse(
        &f,
        &Threshold {
            min_users: 1,
            personal: true,
            rules: Rules::legacy(),
        },
    );
    assert_eq!(r.tables.len(), IDS.len());
}

#[test]
fn results_schema_doc_lists_every_table() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/RESULTS_SCHEMA.md"),
    )
    .expect("docs/RESULTS_SCHEMA.md exists");
    // Two agents, so the by-agent tables are produced too (personal mode: every table).
    let mut facets = synth(3, 3, 1);
    for f in facets.iter_mut().step_by(2) {
        f.agent = "gemini-cli".into();
    }
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 1,
            personal: true,
            rules: Rules::legacy(),
        },
    );
    assert!(r.tables.iter().any(|t| t.id == "by_agent"));
    for t in &r.tables {
        assert!(
            doc.contains(&format!("`{}`", t.id)),
            "RESULTS_SCHEMA.md lacks `{}`",
            t.id
        );
        for c in &t.columns {
            // Work-mode columns are keyed by the mode names.
            let by_mode =
                ["fig4_work_mode_by_month", "by_agent_work_mode"].contains(&t.id.as_str());
            let listed = doc.contains(&format!("`{}`", c.key)) || by_mode;
            assert!(
                listed,
                "RESULTS_SCHEMA.md lacks column `{}` of {}",
                c.key, t.id
            );
        }
    }
}

#[test]
fn differential_privacy_noises_fig1_and_fig2_and_keeps_a_ledger() {
    let facets = synth(40, 20, 21);
    let opts = Threshold {
        min_users: 5,
        personal: false,
        rules: Rules::legacy(),
    };
    // A large ε so the plumbing is testable: the noise must stay small at this sample size.
    let dp = DpOptions {
        epsilon: 100.0,
        max_sessions_per_user: 5,
    };
    let r = analyse_with_dp(&facets, &opts, Some(dp));
    let exact = analyse(
        &facets,
        &Threshold {
            min_users: 5,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    let ledger = r.privacy.dp.as_ref().expect("ledger present");
    assert_eq!(ledger.total_epsilon, 100.0);
    for id in [
        "fig1_work_mode",
        "fig1_codebase_relation",
        "fig2_user_decision_share",
    ] {
        for row in &table(&r, id).rows {
            let c = row.cells[0];
            assert!(
                c.ci_low.is_none() && c.se.is_none(),
                "{id}: noisy cells carry no interval"
            );
        }
    }
    // Tables DP does not cover are unchanged.
    assert_close(
        &serde_json::to_value(&table(&r, "table_a1").rows).unwrap(),
        &serde_json::to_value(&table(&exact, "table_a1").rows).unwrap(),
        "table_a1",
    );
    if DP_AVAILABLE {
        // The ledger says which randomness the noise rests on.
        let rng = if agentstat_stats::dp::SECURE_RANDOMNESS {
            "OpenSSL RAND_priv_bytes"
        } else {
            "rand::thread_rng"
        };
        assert!(ledger.mechanism.contains(rng), "{}", ledger.mechanism);
        let spent: f64 = ledger.entries.iter().map(|e| e.1).sum();
        assert!(
            spent <= 100.0 * (1.0 + 1e-9) && spent > 50.0,
            "spent {spent}"
        );
        let noisy = value(&r, "fig1_codebase_relation", 0, 0)
            .unwrap_or_else(|| panic!("no noisy value: {}", ledger.mechanism));
        let truth = value(&exact, "fig1_codebase_relation", 0, 0).unwrap();
        assert!((noisy - truth).abs() < 0.2, "noisy {noisy}, exact {truth}");
    } else {
        // No noise available: the cells are withheld, never published exactly under DP.
        assert!(table(&r, "fig1_work_mode")
            .rows
            .iter()
            .all(|x| x.cells[0].value.is_none()));
        assert!(ledger.mechanism.contains("withheld"));
        assert!(ledger.entries.is_empty());
    }
}

#[test]
fn a_lone_small_category_cannot_be_recovered_by_subtraction() {
    let mut facets = synth(20, 10, 31);
    for f in &mut facets {
        let l = f.labels.as_mut().unwrap();
        l.work_mode.value = Some(if f.user_key == "user0" {
            WorkMode::Orchestrate
        } else if f.user_key.as_str() < "user3" {
            WorkMode::Fix
        } else {
            WorkMode::Build
        });
    }
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 5,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    let t = table(&r, "fig1_work_mode");
    let published: Vec<&str> = t
        .rows
        .iter()
        .filter(|x| !x.cells[0].suppressed)
        .map(|x| x.label.as_str())
        .collect();
    // Orchestrate (1 person) is suppressed; publishing both Build and Fix would give it away as
    // 1 − Build − Fix, so one of them is suppressed too.
    assert!(published.len() <= 1, "published: {published:?}");
    assert!(t.notes.iter().any(|n| n.contains("subtraction")));
    // Suppressed cells carry no counts either.
    for c in r.tables.iter().flat_map(|t| &t.rows).flat_map(|x| &x.cells) {
        if c.suppressed {
            assert_eq!((c.n_sessions, c.n_users), (0, 0));
        }
    }
}

fn arb_facets() -> impl Strategy<Value = (Vec<Facet>, u32)> {
    (1usize..9, 1usize..12, any::<u64>(), 1u32..8, 0usize..4).prop_map(
        |(users, per_user, seed, k, lopsided)| {
            let mut f = synth(users, per_user, seed);
            // Give a few users many extra sessions, so sessions ≠ users in many cells.
            for i in 0..lopsided {
                let mut extra = synth(1, 10, seed ^ (i as u64 + 1));
                for (j, e) in extra.iter_mut().enumerate() {
                    e.user_key = format!("user{i}");
                    e.session_key = format!("x{i}-{j}");
                }
                f.extend(extra);
            }
            (f, k)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
    /// No output cell rests on fewer than k distinct users without being suppressed, and every
    /// cell's user count is at most the number of people in the data.
    #[test]
    fn no_cell_below_k_escapes((facets, k) in arb_facets()) {
        let r = analyse(&facets, &Threshold { min_users: k, personal: false, rules: Rules::legacy(), });
        let people = r.sample.people;
        for t in &r.tables {
            for row in &t.rows {
                for c in &row.cells {
                    prop_assert!(c.n_users <= people);
                    if c.n_users < u64::from(k) {
                        prop_assert!(c.suppressed, "{} / {}: {:?}", t.id, row.label, c);
                    }
                    if c.suppressed {
                        prop_assert!(c.value.is_none() && c.se.is_none() && c.ci_low.is_none()
                            && c.ci_high.is_none() && c.p_value.is_none());
                    }
                }
            }
        }
    }
}

/// Distinct users per row label, counted from the input facets (not by the code under test).
fn recount(
    facets: &[Facet],
    keep: impl Fn(&Facet) -> bool,
    label: impl Fn(&Facet) -> Option<String>,
) -> std::collections::HashMap<String, std::collections::HashSet<&str>> {
    let mut m: std::collections::HashMap<String, std::collections::HashSet<&str>> =
        Default::default();
    for f in facets.iter().filter(|f| f.interactive && keep(f)) {
        if let Some(l) = label(f) {
            m.entry(l).or_default().insert(f.user_key.as_str());
        }
    }
    m
}

/// The partition tables (Fig. 1 work mode and codebase relation, Fig. 6) against distinct
/// users recounted from the input: a row with fewer than k people is suppressed, a published
/// row shows exactly the recounted number of people.
fn check_partition_counts(facets: &[Facet], r: &Results, k: u32) -> Result<(), TestCaseError> {
    let lab = |f: &Facet| f.labels.clone();
    let tables: [(
        &str,
        std::collections::HashMap<String, std::collections::HashSet<&str>>,
    ); 3] = [
        (
            "fig1_work_mode",
            recount(
                facets,
                |_| true,
                |f| Some(lab(f)?.work_mode.value?.as_str().to_string()),
            ),
        ),
        (
            "fig1_codebase_relation",
            recount(
                facets,
                |_| true,
                |f| Some(lab(f)?.codebase_relation.value?.as_str().to_string()),
            ),
        ),
        (
            "fig6_occupation",
            recount(
                facets,
                |f| {
                    let d = f.derived();
                    d.in_success_sample && d.wrote_code
                },
                |f| Some(lab(f)?.user_profile.value?.group()?.as_str().to_string()),
            ),
        ),
    ];
    for (id, users) in tables {
        let t = r.tables.iter().find(|t| t.id == id).expect("table present");
        for row in &t.rows {
            let n = users.get(&row.label).map_or(0, |u| u.len() as u64);
            for c in &row.cells {
                if n < u64::from(k) {
                    prop_assert!(
                        c.suppressed,
                        "{id} / {}: {n} people < k = {k}: {c:?}",
                        row.label
                    );
                }
                if !c.suppressed {
                    prop_assert_eq!(c.n_users, n, "{} / {}", id, row.label);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// User counts recounted independently from the input facets, so a wrong count in the code
    /// under test (which the property above trusts) cannot pass.
    #[test]
    fn partition_cells_match_users_recounted_from_the_input((facets, k) in arb_facets()) {
        let r = analyse(&facets, &Threshold { min_users: k, personal: false, rules: Rules::legacy(), });
        check_partition_counts(&facets, &r, k)?;
    }
}

/// Work modes used by exactly k − 1 people (with many sessions each) are suppressed; one used
/// by exactly k people is published with n_users = k. (Two small modes with different people,
/// so that complementary suppression has no reason to hide the k-person mode too.)
#[test]
fn a_category_with_k_minus_one_people_is_suppressed() {
    let k = 5u32;
    let small = [
        WorkMode::Communicate,
        WorkMode::Analyze,
        WorkMode::Orchestrate,
    ];
    let mut facets: Vec<Facet> = synth(30, 6, 7)
        .into_iter()
        .filter(|f| {
            let m = f.labels.as_ref().and_then(|l| l.work_mode.value);
            !m.is_some_and(|m| small.contains(&m))
        })
        .collect();
    for (mode, people, tag) in [
        (WorkMode::Communicate, k - 1, "a"),
        (WorkMode::Analyze, k - 1, "b"),
        (WorkMode::Orchestrate, k, "c"),
    ] {
        for u in 0..people as usize {
            for s in 0..8 {
                let mut f = synth(1, 1, (u * 100 + s) as u64).remove(0);
                f.user_key = format!("{tag}{u}");
                f.session_key = format!("{tag}-{u}-{s}");
                f.labels.as_mut().unwrap().work_mode.value = Some(mode);
                facets.push(f);
            }
        }
    }
    let r = analyse(
        &facets,
        &Threshold {
            min_users: k,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    let t = r.tables.iter().find(|t| t.id == "fig1_work_mode").unwrap();
    let row = |name: &str| t.rows.iter().find(|r| r.label == name).unwrap().cells[0];
    assert!(row("Communicate").suppressed && row("Analyze").suppressed);
    let ok = row("Orchestrate");
    assert!(!ok.suppressed && ok.n_users == u64::from(k), "{ok:?}");
    assert_eq!(ok.n_sessions, 8 * u64::from(k));
    check_partition_counts(&facets, &r, k).unwrap();
}

/// Outside personal mode the sample block publishes no category from fewer than k people:
/// small model families, agents and exclusion reasons fold into "other (suppressed)", and the
/// date range is given by month only when both end months have k people.
#[test]
fn the_sample_block_respects_the_threshold() {
    let k = 4u32;
    let mut facets = synth(6, 5, 11);
    // One person uses haiku and gemini-cli, one headless session: each a category of one.
    facets[0].telemetry.model_family = Some("haiku".into());
    facets[0].agent = "gemini-cli".into();
    facets.push(headless(0, "user3"));
    // One person's session two months before everyone else's.
    facets[1].telemetry.start_ms = Some(1_767_225_600_000 - 62 * 86_400_000);
    let r = analyse(
        &facets,
        &Threshold {
            min_users: k,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    let s = &r.sample;
    assert!(
        !s.model_families.contains_key("haiku"),
        "{:?}",
        s.model_families
    );
    assert!(!s.agents.contains_key("gemini-cli") && !s.agents.contains_key("openhands"));
    assert!(
        !s.excluded.contains_key("no human turns"),
        "{:?}",
        s.excluded
    );
    // The folded bucket never stands alone on fewer than k people: here it absorbs more.
    assert_eq!(s.model_families.values().sum::<u64>(), s.sessions);
    assert_eq!(s.agents.values().sum::<u64>(), s.sessions);
    assert_eq!(s.excluded.values().sum::<u64>(), 1);
    let other = agentstat_stats::analyses::OTHER_SUPPRESSED;
    assert_eq!(s.agents.get(other), Some(&s.sessions), "{:?}", s.agents);
    assert_eq!(
        (s.first_day.as_deref(), s.last_day.as_deref()),
        (None, None)
    );
    // Without the early outlier, both end months have all six people: month-level range.
    facets[1].telemetry.start_ms = Some(1_767_225_600_000);
    for f in facets.iter_mut().filter(|f| f.interactive) {
        let day = f
            .session_key
            .rsplit('-')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap();
        f.telemetry.start_ms = Some(1_767_225_600_000 + (day % 2) * 40 * 86_400_000);
    }
    let r = analyse(
        &facets,
        &Threshold {
            min_users: k,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    assert_eq!(r.sample.first_day.as_deref(), Some("2026-01"));
    assert_eq!(r.sample.last_day.as_deref(), Some("2026-02"));
    // Personal mode shows everything, to the day.
    let p = analyse(
        &facets,
        &Threshold {
            min_users: k,
            personal: true,
            rules: Rules::legacy(),
        },
    );
    assert!(p.sample.model_families.contains_key("haiku"));
    assert_eq!(p.sample.first_day.as_deref(), Some("2026-01-01"));
}

/// Scale check (not a timed test): `cargo test --release -p agentstat-stats --test
/// analyses_synthetic -- --ignored scale --nocapture`.
#[test]
#[ignore]
fn scale_200k_sessions() {
    let facets = synth(20_000, 10, 99);
    let t = std::time::Instant::now();
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 10,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    eprintln!("analyse: {} sessions in {:.2?}", facets.len(), t.elapsed());
    assert!(value(&r, "table_a1", 0, 5).is_some());
}

/// The same with two agents (one per half of the people): the by-agent tables, the agent
/// fixed effect and the agent lines in four differencing families.
#[test]
#[ignore = "slow: run with --release -- --ignored"]
fn scale_200k_sessions_two_agents() {
    let mut facets = synth(20_000, 10, 99);
    for f in &mut facets {
        if f.user_key.ends_with(['1', '3', '5', '7', '9']) {
            f.agent = "gemini-cli".into();
        }
    }
    let t = std::time::Instant::now();
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 10,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    eprintln!(
        "analyse: {} sessions, two agents, in {:.2?}",
        facets.len(),
        t.elapsed()
    );
    assert!(value(&r, "table_a1", 0, 5).is_some());
    assert!(value(&r, "by_agent", 1, 0).is_some());
}

/// Team-mode numbers are pinned: the results documents of three team-mode runs (one agent at
/// k = 10 and k = 3; two agents and non-interactive sessions at k = 5) must equal the checked-in
/// `tests/data/team_snapshot.json` byte for byte (refactors of the analyses must not move a
/// digit). After a deliberate change, regenerate with `AGENTSTAT_UPDATE_SNAPSHOT=1 cargo test
/// -p agentstat-stats --test analyses_synthetic team_mode` and review the diff.
#[test]
fn team_mode_results_match_the_checked_in_snapshot() {
    let one_agent = synth(30, 12, 7);
    let mut two_agents = synth(24, 10, 8);
    for f in &mut two_agents {
        if f.user_key.ends_with(['1', '3', '5', '7', '9']) {
            f.agent = "gemini-cli".into();
        }
    }
    two_agents.extend((0..6).map(|i| headless(i, &format!("user{i}"))));
    let runs = [
        ("one_agent_k10", &one_agent, 10),
        ("one_agent_k3", &one_agent, 3),
        ("two_agents_k5", &two_agents, 5),
    ];
    let mut doc = serde_json::Map::new();
    for (name, facets, k) in runs {
        let mut r = analyse(
            facets,
            &Threshold {
                min_users: k,
                personal: false,
                // The default rules: output classes, rounding, dominance (issue 12).
                ..Default::default()
            },
        );
        assert!(!r.privacy.personal_mode);
        r.generated_by = "agentstat (snapshot)".into();
        doc.insert(name.into(), serde_json::to_value(&r).unwrap());
    }
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/team_snapshot.json");
    if std::env::var_os("AGENTSTAT_UPDATE_SNAPSHOT").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let want = std::fs::read_to_string(path).expect("tests/data/team_snapshot.json");
    if want != text {
        let line = want
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(text.lines().count()));
        panic!(
            "team-mode results differ from tests/data/team_snapshot.json, first at line {}: \
             want {:?}, got {:?}",
            line + 1,
            want.lines().nth(line),
            text.lines().nth(line)
        );
    }
}

/// Every piece of text of a results document (titles, readings, notes, column labels).
fn all_text(r: &Results) -> String {
    let mut s = String::new();
    for t in &r.tables {
        s.push_str(&t.title);
        s.push('\n');
        s.push_str(&t.reading);
        s.push('\n');
        for n in &t.notes {
            s.push_str(n);
            s.push('\n');
        }
        for c in &t.columns {
            s.push_str(&c.label);
            s.push('\n');
        }
    }
    s
}

/// One person's sessions of two agents.
fn one_person(n: usize, seed: u64) -> Vec<Facet> {
    let mut facets = synth(1, n, seed);
    for (i, f) in facets.iter_mut().enumerate() {
        if i % 3 == 0 {
            f.agent = "codex".into();
        }
    }
    facets
}

/// Personal mode: the session is the unit. Nothing is suppressed, every regression is
/// estimated with HC1 standard errors (no "1 cluster(s)"), shares carry Wilson intervals over
/// the sessions, no interval has zero width, and no text speaks of people, clusters or k.
#[test]
fn personal_mode_estimates_every_table_over_sessions() {
    let facets = one_person(90, 21);
    let r = analyse(&facets, &Threshold::personal());
    assert!(r.privacy.personal_mode);
    assert_eq!(r.privacy.suppressed_cells, 0);

    let text = all_text(&r).to_lowercase();
    for team in [
        "too few people",
        "clustered by user",
        "cr1",
        "cluster(s)",
        "at least k users",
        "t(g−1)",
        "not estimable",
    ] {
        assert!(!text.contains(team), "personal text says {team:?}:\n{text}");
    }
    assert!(text.contains("hc1"), "the notes name the estimator");

    for id in [
        "fig3_regression",
        "table_a1",
        "table_a2",
        "fig5_adjusted_rates",
    ] {
        let t = table(&r, id);
        let est = t
            .rows
            .iter()
            .flat_map(|x| &x.cells)
            .filter(|c| c.value.is_some());
        assert!(est.count() > 0, "{id}: nothing estimated");
    }
    // Table A1: every column's expertise coefficient, with a non-degenerate interval.
    for c in &table(&r, "table_a1").rows[0].cells {
        let (lo, hi) = (c.ci_low.unwrap(), c.ci_high.unwrap());
        assert!(lo < c.value.unwrap() && c.value.unwrap() < hi, "{c:?}");
    }
    for row in &table(&r, "fig3_regression").rows {
        assert!(row.cells[0].se.unwrap() > 0.0, "{}", row.label);
    }
    // No zero-width interval anywhere.
    for t in &r.tables {
        for row in &t.rows {
            for c in &row.cells {
                if let (Some(lo), Some(hi)) = (c.ci_low, c.ci_high) {
                    assert!(
                        hi > lo,
                        "{} / {}: zero-width interval {c:?}",
                        t.id,
                        row.label
                    );
                }
            }
        }
    }
    // Shares: Wilson score intervals on the sessions with the label.
    let t = table(&r, "fig1_work_mode");
    let n: u64 = t.rows.iter().map(|x| x.cells[0].n_sessions).sum();
    for row in &t.rows {
        let c = &row.cells[0];
        let p = c.value.unwrap();
        let (lo, hi) =
            agentstat_stats::descriptive::wilson(p, n as f64, agentstat_stats::descriptive::Z_975);
        assert!((c.ci_low.unwrap() - lo).abs() < 1e-12, "{}", row.label);
        assert!((c.ci_high.unwrap() - hi).abs() < 1e-12, "{}", row.label);
    }
    // Table A2's reference is the lowest level in the sample, named as such.
    let a2 = table(&r, "table_a2");
    let lowest = facets
        .iter()
        .filter_map(|f| f.labels.as_ref()?.expertise.value?.level())
        .min()
        .unwrap();
    let reference: Vec<&str> = a2
        .rows
        .iter()
        .filter(|x| x.label.ends_with("(reference)"))
        .map(|x| x.label.as_str())
        .collect();
    assert_eq!(reference.len(), 1);
    assert!(
        reference[0].starts_with(&lowest.to_string()),
        "{reference:?}"
    );
}

/// When one person's data cannot identify the expertise coefficient (every session at one
/// level), the cells are empty and the notes say why in words; the readings do not claim
/// numbers that are not there, and never blame "too few people".
#[test]
fn personal_mode_names_the_reason_a_coefficient_is_not_identified() {
    let mut facets = one_person(60, 22);
    for f in &mut facets {
        if let Some(l) = f.labels.as_mut() {
            l.expertise = Label::ok(Expertise::from_level(3).unwrap(), prov());
        }
    }
    let r = analyse(&facets, &Threshold::personal());
    let a1 = table(&r, "table_a1");
    assert!(a1.rows[0].cells.iter().all(|c| c.value.is_none()));
    assert!(
        a1.notes.iter().any(|n| n.contains("not identified")
            && n.contains("does not vary within the fixed-effect groups")),
        "{:?}",
        a1.notes
    );
    assert!(a1.reading.contains("cannot be estimated"), "{}", a1.reading);
    let text = all_text(&r).to_lowercase();
    assert!(!text.contains("too few people"), "{text}");
}

/// Timing of the analyses on 20,000 sessions: one person (personal mode) and 2,000 people
/// (team mode). `cargo test --release -p agentstat-stats --test analyses_synthetic -- --ignored
/// timing_20k --nocapture`.
#[test]
#[ignore = "timing: run with --release -- --ignored"]
fn timing_20k_sessions_personal_and_team() {
    let mut personal = synth(1, 20_000, 5);
    for (i, f) in personal.iter_mut().enumerate() {
        if i % 3 == 0 {
            f.agent = "codex".into();
        }
    }
    let team = synth(2_000, 10, 6);
    for (name, facets, p) in [("personal", &personal, true), ("team", &team, false)] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let r = analyse(
                facets,
                &Threshold {
                    min_users: 10,
                    personal: p,
                    rules: Rules::legacy(),
                },
            );
            times.push(t.elapsed().as_secs_f64());
            assert_eq!(r.privacy.personal_mode, p);
        }
        times.sort_by(f64::total_cmp);
        eprintln!(
            "analyse {name}: 20,000 sessions, median of 5: {:.3} s",
            times[2]
        );
    }
}

/// A dozen sessions cannot carry Fig. 3's three fixed effects: in personal mode the regression
/// keeps the controls the sessions can carry and says which; an empty regression cell always
/// comes with its reason in a note.
#[test]
fn personal_mode_with_few_sessions_drops_controls_and_says_so() {
    let facets = one_person(12, 23);
    let r = analyse(&facets, &Threshold::personal());
    let t = table(&r, "fig3_regression");
    for row in &t.rows {
        let reason = t.notes.iter().any(|n| {
            n.starts_with(&row.label)
                && (n.contains("not estimable") || n.contains("not identified"))
        });
        assert!(
            row.cells[0].value.is_some() || reason,
            "{}: {:?}",
            row.label,
            t.notes
        );
    }
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("only — these sessions cannot carry more")),
        "{:?}",
        t.notes
    );
    let text = all_text(&r).to_lowercase();
    assert!(
        !text.contains("too few people") && !text.contains("cluster(s)"),
        "{text}"
    );
}

/// Team mode without Novice sessions: Table A2's reference is the lowest level present (named
/// so), and every other level keeps its own coefficient. (Before, Novice stayed the reference,
/// the indicators were collinear, the fit dropped Expert and the coefficients labelled "vs
/// Novice" were contrasts with Expert.)
#[test]
fn team_mode_without_novices_contrasts_with_the_lowest_level_present() {
    let mut facets = synth(40, 12, 7);
    for f in &mut facets {
        if let Some(l) = f.labels.as_mut() {
            if l.expertise.value.and_then(|e| e.level()) == Some(1) {
                l.expertise = Label::ok(Expertise::from_level(2).unwrap(), prov());
            }
        }
    }
    let r = analyse(
        &facets,
        &Threshold {
            min_users: 5,
            personal: false,
            rules: Rules::legacy(),
        },
    );
    let a2 = table(&r, "table_a2");
    let reference: Vec<&str> = a2
        .rows
        .iter()
        .filter(|x| x.label.ends_with("(reference)"))
        .map(|x| x.label.as_str())
        .collect();
    assert_eq!(reference.len(), 1, "{:?}", a2.rows);
    assert!(reference[0].starts_with('2'), "{reference:?}");
    assert!(a2.columns[0].label.contains("vs") && !a2.columns[0].label.contains("Novice"));
    let expert = a2.rows.iter().find(|x| x.label.starts_with('5')).unwrap();
    assert!(
        expert.cells[0].value.is_some(),
        "Expert's coefficient dropped: {expert:?}"
    );
}

#[test]
fn unknown_lines_are_missing_in_the_validation_table_not_zero() {
    let th = Threshold {
        min_users: 3,
        personal: false,
        rules: Rules::legacy(),
    };
    let facets = synth(30, 20, 5);
    let base = analyse(&facets, &th);
    // The same sessions plus copies whose lines the transcript cannot tell (files written,
    // `lines_added` unknown): were unknown read as 0, "classified as writing code: lines
    // changed" would fall.
    let mut more = facets.clone();
    let extra: Vec<Facet> = facets
        .iter()
        .take(100)
        .map(|f| {
            let mut f = f.clone();
            f.session_key.push_str("-unknown");
            f.telemetry.lines_added = None;
            f.telemetry.lines_removed = None;
            f.telemetry.files_touched = 2;
            f
        })
        .collect();
    let labelled = extra
        .iter()
        .filter(|f| {
            f.labels
                .as_ref()
                .is_some_and(|l| l.codebase_relation.value.is_some())
        })
        .count();
    more.extend(extra);
    let r = analyse(&more, &th);
    let (t0, t1) = (
        table(&base, "validation_writes_code"),
        table(&r, "validation_writes_code"),
    );
    for row in 0..3 {
        assert_eq!(
            t1.rows[row].cells[0].value, t0.rows[row].cells[0].value,
            "row {row}"
        );
        assert_eq!(
            t1.rows[row].cells[0].n_sessions,
            t0.rows[row].cells[0].n_sessions
        );
    }
    let note = format!("{labelled} sessions whose transcripts cannot tell lines changed");
    assert!(labelled > 0);
    assert!(
        t1.notes.iter().any(|n| n.starts_with(&note)),
        "{:?}",
        t1.notes
    );
    assert!(t0.notes.iter().any(|n| n.starts_with("0 sessions whose")));
}
