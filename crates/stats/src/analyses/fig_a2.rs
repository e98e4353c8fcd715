//! Fig. A2: actions and words per prompt by the agent's share of decisions.

use super::prelude::*;

pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &["figa2_by_agent_share"],
    build: |cx, _| vec![fig_a2(&cx.th, &cx.all)],
    reading,
};

fn reading(t: &Table, _th: &Threshold) -> Option<String> {
    Some(match (published(t, 0, 1), published(t, 4, 1)) {
        (Some(a), Some(b)) => format!(
            "Sessions where the agent made most decisions average {b:.1} actions per prompt, \
             against {a:.1} where the user made most."
        ),
        _ => "Agent activity by how much of the deciding the agent did.".into(),
    })
}

pub(crate) fn fig_a2(th: &Threshold, all: &[&Obs]) -> Table {
    let rows: Vec<(&Obs, f64)> = all
        .iter()
        .filter_map(|o| o.decisions.and_then(|d| d.agent_share()).map(|s| (*o, s)))
        .collect();
    let mut t = table(
        "figa2_by_agent_share",
        "Fig. A2",
        "Actions and output words per prompt by the agent's share of decisions",
        Chart::Points,
        vec![
            col("actions_median", "Actions per prompt (median)", "ratio"),
            col(
                "actions_geomean",
                "Actions per prompt (geometric mean)",
                "ratio",
            ),
            col("words_median", "Words per prompt (median)", "ratio"),
            col(
                "words_geomean",
                "Words per prompt (geometric mean)",
                "ratio",
            ),
        ],
    );
    for b in 0..5usize {
        let in_band: Vec<&Obs> = rows
            .iter()
            .filter(|(_, s)| ((s * 5.0).floor() as usize).min(4) == b)
            .map(|p| p.0)
            .collect();
        let a: Vec<f64> = in_band
            .iter()
            .map(|o| o.f.telemetry.actions_per_prompt)
            .collect();
        let w: Vec<f64> = in_band
            .iter()
            .map(|o| o.f.telemetry.words_per_prompt)
            .collect();
        let cells = vec![
            value_cell(th, th.quantile(&a, 0.5), &in_band),
            value_cell(th, geometric_mean(&a).map(|g| g.value), &in_band),
            value_cell(th, th.quantile(&w, 0.5), &in_band),
            value_cell(th, geometric_mean(&w).map(|g| g.value), &in_band),
        ];
        t_push(&mut t, format!("{}–{}%", b * 20, b * 20 + 20), cells);
    }
    t.reading = reading(&t, th).unwrap_or_default();
    t.notes.push(format!(
        "{} sessions with attributed decisions; bands include their lower bound (the last \
         includes 100%). Geometric means leave out zero values.",
        rows.len()
    ));
    t
}
