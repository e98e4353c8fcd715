//! Fig. 4: work-mode shares by month and the task-value index by month and by work mode.

use super::prelude::*;

pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &[
        "fig4_work_mode_by_month",
        "fig4_value_by_month",
        "fig4_value_by_mode",
    ],
    build: |cx, _| fig4(&cx.th, &cx.all),
    reading,
};

fn reading(t: &Table, th: &Threshold) -> Option<String> {
    (t.id == "fig4_value_by_mode").then(|| match argmax(t, 0) {
        Some((m, v)) => format!("{m} sessions carry the highest task value (index {v:.0})."),
        None => missing(
            th,
            "Too few people per work mode to publish the index.",
            "No session has both a work mode and a task value.",
        ),
    })
}

pub(crate) fn fig4(th: &Threshold, all: &[&Obs]) -> Vec<Table> {
    let with_month: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.month().is_some())
        .collect();
    let months: BTreeSet<&str> = with_month.iter().filter_map(|o| o.month()).collect();

    let mut modes = table(
        "fig4_work_mode_by_month",
        "Fig. 4",
        "Work-mode shares by month",
        Chart::Stacked,
        category_columns(&WORK_MODES),
    );
    let groups = months
        .iter()
        .map(|m| {
            let rows = with_month
                .iter()
                .copied()
                .filter(|o| o.month() == Some(m) && o.mode.is_some())
                .collect();
            ((*m).to_string(), rows)
        })
        .collect();
    let extra = composition_rows(th, &WORK_MODES, groups, &mut modes);
    modes.notes.extend(complementary_note(extra));
    modes.reading = format!(
        "How the mix of work modes changed over {} month(s).",
        months.len()
    );
    modes
        .notes
        .push("Each row sums to 1 over its published cells; 95% CIs clustered by user.".into());

    // Task-value index: 100 × exp(mean ln value in the group − mean ln value overall).
    let valued: Vec<&Obs> = all.iter().copied().filter(|o| o.value.is_some()).collect();
    let ln_all: Vec<f64> = valued
        .iter()
        .map(|o| o.value.map_or(f64::NAN, |v| v.usd.ln()))
        .collect();
    let base = crate::descriptive::mean(&ln_all);
    let index_cell = |rows: &[&Obs]| -> Cell {
        let vals: Vec<f64> = rows
            .iter()
            .map(|o| o.value.map_or(f64::NAN, |v| v.usd.ln()))
            .collect();
        let est = match (mean_of(th, rows, &vals), base) {
            (Some(m), Some(b)) => {
                let idx = |x: f64| 100.0 * (x - b).exp();
                Estimate {
                    value: Some(idx(m.mean)),
                    se: None,
                    ci_low: m.ci_low.is_finite().then(|| idx(m.ci_low)),
                    ci_high: m.ci_high.is_finite().then(|| idx(m.ci_high)),
                    p_value: None,
                }
            }
            _ => Estimate::default(),
        };
        // The magnitude people contribute is their sessions' task value (in dollars).
        let usd: Vec<f64> = rows
            .iter()
            .map(|o| o.value.map_or(f64::NAN, |v| v.usd))
            .collect();
        magnitude_cell(th, est, rows, &usd, OutputClass::Index)
    };
    let note = format!(
        "Index = 100 × geometric mean of the task value in the group / geometric mean over all \
         {} valued sessions (100 = average). Task values rank sessions; they are not prices. \
         95% CIs clustered by user.",
        valued.len()
    );
    let mut by_month = table(
        "fig4_value_by_month",
        "Fig. 4",
        "Task-value index by month",
        Chart::Lines,
        vec![col("index", "Task-value index", "index")],
    );
    for m in &months {
        let rows: Vec<&Obs> = valued
            .iter()
            .copied()
            .filter(|o| o.month() == Some(m))
            .collect();
        let cell = index_cell(&rows);
        t_push(&mut by_month, (*m).to_string(), vec![cell]);
    }
    by_month.reading =
        "Task value of sessions over time, relative to the whole sample (100).".into();
    by_month.notes.push(note.clone());

    let mut by_mode = table(
        "fig4_value_by_mode",
        "Fig. 4",
        "Task-value index by work mode",
        Chart::Bars,
        vec![col("index", "Task-value index", "index")],
    );
    for w in WorkMode::ALL {
        let rows: Vec<&Obs> = valued
            .iter()
            .copied()
            .filter(|o| o.mode == Some(*w))
            .collect();
        let cell = index_cell(&rows);
        t_push(&mut by_mode, w.as_str().into(), vec![cell]);
    }
    by_mode.reading = reading(&by_mode, th).unwrap_or_default();
    by_mode.notes.push(note);
    vec![modes, by_month, by_mode]
}

// ---- Fig. 5, Table A1, Table A2 ----------------------------------------------------------
