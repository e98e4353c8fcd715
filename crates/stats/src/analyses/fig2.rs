//! Fig. 2: who makes the decisions — the histogram of the agent's share and the mean user share.

use super::prelude::*;

pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &["fig2_agent_decision_share", "fig2_user_decision_share"],
    build: |cx, _| fig2(&cx.th, &cx.all),
    reading: |t, th| (t.id == "fig2_user_decision_share").then(|| reading_decision_means(t, th)),
};

pub(crate) const HIST_BINS: usize = 10;

pub(crate) fn bin_of(share: f64) -> usize {
    ((share * HIST_BINS as f64).floor() as usize).min(HIST_BINS - 1)
}

pub(crate) fn fig2(th: &Threshold, all: &[&Obs]) -> Vec<Table> {
    let planning: Vec<(&Obs, f64)> = all
        .iter()
        .filter_map(|o| {
            o.decisions
                .and_then(|d| d.user_planning_share())
                .map(|s| (*o, 1.0 - s))
        })
        .collect();
    let execution: Vec<(&Obs, f64)> = all
        .iter()
        .filter_map(|o| {
            o.decisions
                .and_then(|d| d.user_execution_share())
                .map(|s| (*o, 1.0 - s))
        })
        .collect();
    let mut hist = table(
        "fig2_agent_decision_share",
        "Fig. 2",
        "Distribution of the agent's share of decisions across sessions",
        Chart::Histogram,
        vec![
            col("planning", "Planning decisions: share of sessions", "share"),
            col(
                "execution",
                "Execution decisions: share of sessions",
                "share",
            ),
        ],
    );
    // One composition per column: the bins of planning, the bins of execution.
    let column = |v: &[(&Obs, f64)]| {
        let rows: Vec<&Obs> = v.iter().map(|p| p.0).collect();
        let bins: Vec<Option<usize>> = v.iter().map(|p| Some(bin_of(p.1))).collect();
        composition_of(th, &rows, HIST_BINS, &bins)
    };
    let (plan_cells, e1) = column(&planning);
    let (exec_cells, e2) = column(&execution);
    for (b, (p, e)) in plan_cells.into_iter().zip(exec_cells).enumerate() {
        let lo = b * 100 / HIST_BINS;
        let hi = (b + 1) * 100 / HIST_BINS;
        t_push(&mut hist, format!("{lo}–{hi}%"), vec![p, e]);
    }
    hist.notes.extend(complementary_note(e1 + e2));
    hist.reading = "How often the agent, rather than the person, made a session's planning and \
                    execution decisions (agent share binned by 10 points)."
        .into();
    hist.notes.push(format!(
        "{} sessions with planning decisions, {} with execution decisions; bins include their \
         lower bound, the last bin includes 100%.",
        planning.len(),
        execution.len()
    ));

    let mut means = table(
        "fig2_user_decision_share",
        "Fig. 2",
        "Mean user share of decisions per session",
        Chart::Points,
        vec![col(
            "user_share",
            "User's share (mean over sessions)",
            "share",
        )],
    );
    for (label, v) in [("Planning", &planning), ("Execution", &execution)] {
        let vals: Vec<f64> = v.iter().map(|p| 1.0 - p.1).collect();
        let rows: Vec<&Obs> = v.iter().map(|p| p.0).collect();
        // A mean of shares lies in [0, 1], and so does its interval.
        let est = mean_of(th, &rows, &vals)
            .map(|m| {
                let mut e = m.estimate();
                e.ci_low = e.ci_low.map(|x| x.clamp(0.0, 1.0));
                e.ci_high = e.ci_high.map(|x| x.clamp(0.0, 1.0));
                e
            })
            .unwrap_or_default();
        // A mean of per-session shares: its magnitudes are each session's agent share of
        // decisions, checked for dominance like any magnitude.
        let cell = magnitude_cell(th, est, &rows, &vals, OutputClass::Mean);
        t_push(&mut means, label.into(), vec![cell]);
    }
    means.study_reference =
        Some("study: users make about 70% of planning and about 20% of execution decisions".into());
    means.reading = reading_decision_means(&means, th);
    means.notes.push(
        "Mean over sessions of the user's share; 95% CIs clustered by user, clipped to [0, 1]."
            .into(),
    );
    vec![hist, means]
}

pub(crate) fn reading_decision_means(t: &Table, th: &Threshold) -> String {
    match (published(t, 0, 0), published(t, 1, 0)) {
        (Some(p), Some(e)) => format!(
            "Users made {} of planning and {} of execution decisions on average.",
            pct(p),
            pct(e)
        ),
        _ => missing(
            th,
            "Too few people with attributed decisions to publish the averages.",
            "Too few sessions with attributed decisions for both averages.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_unit_interval() {
        assert_eq!(bin_of(0.0), 0);
        assert_eq!(bin_of(0.1), 1);
        assert_eq!(bin_of(0.999), 9);
        assert_eq!(bin_of(1.0), 9);
    }
}
