//! The attack on published quantiles: a cell of five sessions from five people (k = 5) used to
//! publish p5/p25/median/p75/p95 from which all five session values could be solved. Now every
//! published quantile averages `k` order statistics; personal mode keeps exact quantiles.

use agentstat_facets::*;
use agentstat_stats::analyses::analyse;
use agentstat_stats::privacy::Threshold;
use agentstat_stats::results::Results;

fn prov() -> Provenance {
    Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "1".into(),
    }
}

fn facet(i: usize, user: usize, actions_per_prompt: f64) -> Facet {
    let usd = 500.0;
    Facet {
        session_key: format!("s{i}"),
        user_key: format!("user{user}"),
        agent: "claude-code".into(),
        agent_version: None,
        interactive: true,
        excluded_reason: None,
        telemetry: Telemetry {
            human_turns: 3,
            model_calls: Some(9),
            actions_per_prompt,
            words_per_prompt: 40.0 + 3.0 * actions_per_prompt,
            actions: 6,
            lines_added: Some(10),
            start_ms: Some(1_767_225_600_000),
            month: Some("2026-01".into()),
            model_family: Some("opus".into()),
            ..Telemetry::default()
        },
        habits: None,
        labels: Some(Labels {
            work_mode: Label::ok(WorkMode::Build, prov()),
            codebase_relation: Label::ok(CodebaseRelation::Modify, prov()),
            decisions: Label::ok(Decisions::default(), prov()),
            expertise: Label::ok(Expertise::from_level(3).unwrap(), prov()),
            user_profile: Label::ok(UserProfile::Group(Occupation::ComputerMath), prov()),
            work_performed: Label::ok(Occupation::ComputerMath, prov()),
            outcome: Label::ok(Outcome::Succeeded, prov()),
            success_signal: Label::ok(Signal::S4, prov()),
            failure_signal: Label::ok(Signal::S1, prov()),
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

const VALUES: [f64; 5] = [1.0, 2.0, 3.0, 5.0, 11.0];

fn fig3_level3(r: &Results) -> Vec<Option<f64>> {
    let t = r
        .tables
        .iter()
        .find(|t| t.id == "fig3_actions_by_expertise")
        .expect("fig3 table");
    let row = t
        .rows
        .iter()
        .find(|r| r.label.starts_with('3'))
        .expect("level 3 row");
    // p5, p25, median, p75, p95.
    row.cells[..5].iter().map(|c| c.value).collect()
}

#[test]
fn a_five_session_cell_does_not_give_back_its_sessions() {
    let facets: Vec<Facet> = VALUES
        .iter()
        .enumerate()
        .map(|(i, v)| facet(i, i, *v))
        .collect();
    let r = analyse(&facets, &Threshold::new(5));
    let q = fig3_level3(&r);
    assert!(
        q.iter().all(Option::is_some),
        "the cell is published: {q:?}"
    );
    for v in q.iter().flatten() {
        assert!(
            !VALUES.iter().any(|x| (x - v).abs() < 1e-9),
            "published quantile {v} is one session's value"
        );
        // Five sessions, k = 5: each quantile is the mean of all five.
        assert!((v - 4.4).abs() < 1e-9, "{v}");
    }
    assert!(r
        .tables
        .iter()
        .find(|t| t.id == "fig3_actions_by_expertise")
        .unwrap()
        .notes
        .iter()
        .any(|n| n.contains("mean of the 5 sessions")));

    // Personal mode (one's own data): exact type-7 quantiles of numpy.
    let mine: Vec<Facet> = VALUES
        .iter()
        .enumerate()
        .map(|(i, v)| facet(i, 0, *v))
        .collect();
    let r = analyse(&mine, &Threshold::personal());
    let q: Vec<f64> = fig3_level3(&r).into_iter().map(Option::unwrap).collect();
    let want = [1.2, 2.0, 3.0, 5.0, 9.8];
    for (a, b) in q.iter().zip(want) {
        assert!((a - b).abs() < 1e-9, "{q:?}");
    }
}
