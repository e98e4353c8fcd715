//! Fig. 5: adjusted success rates by expertise level, and outcomes of troubled sessions.

use super::prelude::*;

pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &["fig5_adjusted_rates", "fig5_troubled"],
    build: |cx, fits| fig5(&cx.th, &cx.all, fits, cx.agent_fe),
    reading,
};

fn reading(t: &Table, th: &Threshold) -> Option<String> {
    Some(match t.id.as_str() {
        "fig5_adjusted_rates" => match (published(t, 0, 2), published(t, 4, 2)) {
            (Some(a), Some(b)) => format!(
                "Adjusted verified-success rate: {} at Novice, {} at Expert.",
                pct(a),
                pct(b)
            ),
            _ if th.personal => match level_span(t, 2, pct) {
                Some(span) => format!("Adjusted verified-success rate: {span}."),
                None => "The adjusted rates cannot be estimated from these sessions; the notes \
                         say why."
                    .into(),
            },
            _ => {
                "Adjusted success rates by expertise; levels with too few people are suppressed.".into()
            }
        },
        _ => match (published(t, 0, 0), published(t, 4, 0)) {
            (Some(a), Some(b)) => format!(
                "When sessions hit trouble, {} of Novice and {} of Expert sessions still succeeded.",
                pct(a),
                pct(b)
            ),
            _ if th.personal => match level_span(t, 0, pct) {
                Some(span) => format!("Troubled sessions that still succeeded: {span}."),
                None => "No troubled session with a goal and an expertise level.".into(),
            },
            _ => "Outcomes of troubled sessions; levels with too few people are suppressed.".into(),
        },
    })
}

pub(crate) fn fig5(th: &Threshold, all: &[&Obs], fits: &mut Fits, agent_fe: bool) -> Vec<Table> {
    let (sample, mut notes) = a1_sample(all);
    type Outcome = (&'static str, &'static str, fn(&Obs) -> Option<bool>);
    let outcomes: [Outcome; 3] = [
        ("at_least_partial", "At least partial success", |o| {
            o.d.at_least_partial_success
        }),
        ("judged", "Judged success", |o| o.d.judged_success),
        ("verified", "Verified success", |o| o.d.verified_success),
    ];
    let mut t = table(
        "fig5_adjusted_rates",
        "Fig. 5",
        "Adjusted success rates by expertise level",
        Chart::Points,
        outcomes.iter().map(|(k, l, _)| col(k, l, "rate")).collect(),
    );
    let mut columns: Vec<Vec<Cell>> = Vec::new();
    for (key, label, get) in outcomes {
        let rows: Vec<&Obs> = sample
            .iter()
            .copied()
            .filter(|o| get(o).is_some())
            .collect();
        let y: Vec<f64> = rows.iter().map(|o| b2f(get(o))).collect();
        match fit_richest(th, &rows, &y, agent_fe) {
            Ok((fit, spec)) => {
                fits.record_fit(&format!("fig5 {key}"), &fit, &rows);
                if spec != "(6)" {
                    notes.push(format!(
                        "{label}: controls of Table A1 column {spec} (the data cannot support more)."
                    ));
                }
                columns.push(
                    LEVELS
                        .iter()
                        .map(|&l| margin_cell(th, &fit, &rows, l))
                        .collect(),
                )
            }
            Err(e) => {
                notes.push(format!("{label}: not estimable ({e})."));
                fits.record(&format!("fig5 {key}"), &rows);
                columns.push(
                    LEVELS
                        .iter()
                        .map(|&l| {
                            let r: Vec<&Obs> = rows
                                .iter()
                                .copied()
                                .filter(|o| o.level == Some(l))
                                .collect();
                            empty_cell(th, &r)
                        })
                        .collect(),
                );
            }
        }
    }
    for (i, l) in LEVELS.iter().enumerate() {
        t_push(
            &mut t,
            level_label(*l),
            columns.iter().map(|c| c[i]).collect(),
        );
    }
    t.reading = reading(&t, th).unwrap_or_default();
    notes.push(
        "Predictive margins from a linear probability model with an indicator per expertise \
         level and the controls of Table A1 column (6), or the richest column the data \
         support; 95% CIs clustered by user."
            .into(),
    );
    if agent_fe {
        notes.push(AGENT_FE_NOTE.into());
    }
    notes.extend(extrapolation_note(&t, &[0, 1, 2]));
    t.notes = notes;

    // Troubled sessions: unadjusted rates (the troubled subsample is too small for the full
    // set of fixed effects in most data).
    let troubled: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.in_success_sample() && o.d.hit_trouble == Some(true) && o.level.is_some())
        .collect();
    let mut tt = table(
        "fig5_troubled",
        "Fig. 5",
        "Among troubled sessions (failure signal ≥ 3): outcomes by expertise level",
        Chart::Points,
        vec![
            col("success", "Succeeded", "rate"),
            col("failure", "Failed", "rate"),
            col("abandoned", "Abandoned (failed, no code written)", "rate"),
        ],
    );
    for l in LEVELS {
        let rows: Vec<&Obs> = troubled
            .iter()
            .copied()
            .filter(|o| o.level == Some(l))
            .collect();
        let cells = vec![
            rate_cell(th, &rows, |o| o.d.judged_success),
            rate_cell(th, &rows, |o| o.d.judged_failure),
            rate_cell(th, &rows, |o| o.d.abandoned),
        ];
        t_push(&mut tt, level_label(l), cells);
    }
    tt.reading = reading(&tt, th).unwrap_or_default();
    tt.notes.push(format!(
        "{} troubled sessions with a goal and an expertise level; unadjusted rates, 95% CIs \
         clustered by user.",
        troubled.len()
    ));
    vec![t, tt]
}
