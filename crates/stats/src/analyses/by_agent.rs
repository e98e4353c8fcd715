//! The by-agent tables: sessions, people and success per agent, and work-mode shares per agent.

use super::prelude::*;

/// Only when the data hold more than one agent, shown in at least two rows ([`AgentRows::table`]).
pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &[BY_AGENT, BY_AGENT_WORK_MODE],
    build: |cx, _| {
        if cx.agents.table() {
            by_agent(&cx.th, &cx.all, cx.agents)
        } else {
            Vec::new()
        }
    },
    reading,
};

fn reading(t: &Table, th: &Threshold) -> Option<String> {
    (t.id == BY_AGENT).then(|| {
        let named: Vec<String> = t
            .rows
            .iter()
            .filter_map(|r| r.cells[0].value.map(|v| format!("{} {}", r.label, pct(v))))
            .collect();
        if named.len() >= 2 {
            format!("Judged success by agent: {}.", named.join(", "))
        } else {
            missing(
                th,
                "Success by agent; agents with too few people are suppressed.",
                "Success by agent; an agent with no session with a goal has no rate.",
            )
        }
    })
}

/// Id of the by-agent table (counts and success measures per agent).
pub const BY_AGENT: &str = "by_agent";
/// Id of the work-mode composition per agent.
pub const BY_AGENT_WORK_MODE: &str = "by_agent_work_mode";

/// The success measures of the by-agent table, among sessions with a goal (rubric §4):
/// (key, label, flag). Same definitions as Fig. 5, Fig. 6 and Fig. A1.
pub(crate) type AgentRate = (&'static str, &'static str, fn(&Obs) -> Option<bool>);
pub(crate) const BY_AGENT_RATES: [AgentRate; 4] = [
    ("judged", "Judged success", |o| o.d.judged_success),
    (
        "verified",
        "Verified success (Succeeded, success signal 4–5)",
        |o| o.d.verified_success,
    ),
    ("trouble", "Hit trouble (failure signal ≥ 3)", |o| {
        o.d.hit_trouble
    }),
    (
        "verified_failure",
        "Verified failure (Failed, failure signal 4–5)",
        |o| o.d.verified_failure,
    ),
];
/// Column of the by-agent table holding the session count (then the people count).
pub(crate) const BY_AGENT_SESSIONS: usize = BY_AGENT_RATES.len();

/// Whether `o` enters the by-agent rate in column `c`: a session with a goal whose flag is
/// defined.
pub(crate) fn in_agent_rate(o: &Obs, c: usize) -> bool {
    o.in_success_sample() && (BY_AGENT_RATES[c].2)(o).is_some()
}

/// Sessions, people, success measures and work-mode composition per agent: only when the data
/// hold more than one agent ([`AgentRows::table`]).
pub(crate) fn by_agent(th: &Threshold, all: &[&Obs], agents: &AgentRows) -> Vec<Table> {
    let mut columns: Vec<Column> = BY_AGENT_RATES
        .iter()
        .map(|(k, l, _)| col(k, l, "rate"))
        .collect();
    columns.push(col("sessions", "Interactive sessions", "count"));
    columns.push(col("people", "People", "count"));
    let mut t = table(
        BY_AGENT,
        "By agent",
        "Sessions, people and success by agent",
        Chart::Points,
        columns,
    );
    for (r, label) in agents.labels.iter().enumerate() {
        let rows: Vec<&Obs> = all.iter().copied().filter(|o| o.agent == Some(r)).collect();
        let mut cells: Vec<Cell> = BY_AGENT_RATES
            .iter()
            .enumerate()
            .map(|(c, (_, _, flag))| {
                let used: Vec<&Obs> = rows
                    .iter()
                    .copied()
                    .filter(|o| in_agent_rate(o, c))
                    .collect();
                rate_cell(th, &used, flag)
            })
            .collect();
        let (n, users) = (rows.len() as u64, distinct_users(&rows));
        cells.push(th.cell(Estimate::value(n as f64), n, users));
        cells.push(th.cell(Estimate::value(users as f64), n, users));
        t_push(&mut t, label.clone(), cells);
    }
    t.reading = reading(&t, th).unwrap_or_default();
    let goal = all.iter().filter(|o| o.in_success_sample()).count();
    t.notes.push(format!(
        "{} interactive sessions, {goal} sessions with a goal. Rates are among the sessions \
         with a goal (No clear goal excluded), with the definitions of Fig. 5, Fig. 6 and \
         Fig. A1; 95% intervals are Wilson intervals on the design-effect n, clustered by user.",
        all.len()
    ));
    if agents.labels.iter().any(|l| l == OTHER_AGENTS) {
        t.notes.push(format!(
            "\"{OTHER_AGENTS}\" pools the agents the sample block does not name (each with \
             sessions of too few people)."
        ));
    }
    t.notes.push(
        "Agents differ in what their transcripts record (docs/FORMATS.md), so part of a \
         difference between agents can come from the transcripts rather than the work."
            .into(),
    );

    let mut modes = table(
        BY_AGENT_WORK_MODE,
        "By agent",
        "Work-mode shares by agent",
        Chart::Stacked,
        category_columns(&WORK_MODES),
    );
    let groups = agents
        .labels
        .iter()
        .enumerate()
        .map(|(r, label)| {
            let rows = all
                .iter()
                .copied()
                .filter(|o| o.agent == Some(r) && o.mode.is_some())
                .collect();
            (label.clone(), rows)
        })
        .collect();
    let extra = composition_rows(th, &WORK_MODES, groups, &mut modes);
    modes.notes.extend(complementary_note(extra));
    modes.reading = "How the mix of work modes differs between agents.".into();
    modes.notes.push(
        "Each row sums to 1 over its published cells (sessions with a work-mode label); 95% \
         CIs clustered by user."
            .into(),
    );
    vec![t, modes]
}
