//! Fig. A1: P(outcome = Succeeded) by success-signal and failure-signal level.

use super::prelude::*;

pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &["figa1_success_by_signal"],
    build: |cx, _| vec![fig_a1(&cx.th, &cx.all)],
    reading,
};

fn reading(t: &Table, _th: &Threshold) -> Option<String> {
    Some(match (published(t, 5, 0), published(t, 5, 1)) {
        (Some(a), Some(b)) => format!(
            "{} of sessions with the strongest success signal and {} with the strongest failure \
             signal were judged Succeeded.",
            pct(a),
            pct(b)
        ),
        _ => "How the outcome label tracks the strength of success and failure evidence.".into(),
    })
}

pub(crate) fn fig_a1(th: &Threshold, all: &[&Obs]) -> Table {
    let rows: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.in_success_sample())
        .collect();
    let mut t = table(
        "figa1_success_by_signal",
        "Fig. A1",
        "P(outcome = Succeeded) by success-signal and failure-signal level",
        Chart::Points,
        vec![
            col("by_success_signal", "By success signal", "rate"),
            col("by_failure_signal", "By failure signal", "rate"),
        ],
    );
    for s in 0..=5u8 {
        let by_s: Vec<&Obs> = rows.iter().copied().filter(|o| o.succ == Some(s)).collect();
        let by_f: Vec<&Obs> = rows.iter().copied().filter(|o| o.fail == Some(s)).collect();
        let label = if s == 0 {
            "NONE".to_string()
        } else {
            s.to_string()
        };
        let cells = vec![
            rate_cell(th, &by_s, |o| o.d.judged_success),
            rate_cell(th, &by_f, |o| o.d.judged_success),
        ];
        t_push(&mut t, label, cells);
    }
    t.reading = reading(&t, th).unwrap_or_default();
    t.notes.push(format!(
        "{} sessions with a goal; 95% CIs clustered by user.",
        rows.len()
    ));
    t
}
