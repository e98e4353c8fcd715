//! Table A1: verified success on expertise (linear probability model), controls added
//! column by column.

use super::prelude::*;

pub(crate) const A1: Analysis = Analysis {
    tables: &["table_a1"],
    build: |cx, fits| vec![table_a1(&cx.th, &cx.all, fits, cx.agents)],
    reading,
};

fn reading(t: &Table, th: &Threshold) -> Option<String> {
    Some(match published(t, 0, 5) {
        Some(b) => format!(
            "With all controls, each expertise level goes with a {:+.1} percentage-point change \
             in the verified-success rate.",
            b * 100.0
        ),
        None if th.personal => {
            // The richest column estimated: a headline never contradicts the numbers under it.
            match (0..5)
                .rev()
                .find_map(|c| published(t, 0, c).map(|b| (c, b)))
            {
                Some((c, b)) => format!(
                    "With the controls of column {} (the richer columns cannot be estimated \
                     from these sessions), each expertise level goes with a {:+.1} \
                     percentage-point change in the verified-success rate.",
                    t.columns[c].label,
                    b * 100.0
                ),
                None => "The regression cannot be estimated from these sessions; the notes say \
                         why."
                    .into(),
            }
        }
        None => "Too few people to publish the regression.".into(),
    })
}

/// The sessions Table A1 and A2 fit on (the common sample with a verified-success value) and
/// the sample notes.
pub(crate) fn a1_rows<'a>(all: &[&'a Obs<'a>]) -> (Vec<&'a Obs<'a>>, Vec<String>) {
    let (rows, notes) = a1_sample(all);
    let rows_v = rows
        .into_iter()
        .filter(|o| o.d.verified_success.is_some())
        .collect();
    (rows_v, notes)
}

pub(crate) fn table_a1(th: &Threshold, all: &[&Obs], fits: &mut Fits, agents: &AgentRows) -> Table {
    let agent_fe = agents.interactive_agents > 1;
    let (rows_v, sample_notes) = a1_rows(all);
    let specs = SPECS;
    let mut a1 = table(
        "table_a1",
        "Table A1",
        "Verified success on expertise (linear probability model), controls added step by step",
        Chart::None,
        specs.iter().map(|(k, _, _)| col(k, k, "coef")).collect(),
    );
    let y: Vec<f64> = rows_v.iter().map(|o| b2f(o.d.verified_success)).collect();
    let level: Vec<f64> = rows_v
        .iter()
        .map(|o| f64::from(o.level.unwrap_or(0)))
        .collect();
    let mut coef_row = Vec::new();
    let mut mean_row = Vec::new();
    let mut n_row = Vec::new();
    let mut notes = sample_notes;
    for (k, fes, ln_controls) in specs {
        let mut x = vec![("expertise".to_string(), level.clone())];
        if ln_controls {
            x.extend(controls_x(&rows_v));
        }
        // The preferred column (6) absorbs agent differences when there are several agents.
        let fes = with_agent(fes, agent_fe && k == "(6)");
        match fit_on(th, &rows_v, &y, &x, &fes) {
            Ok(fit) => {
                fits.record_fit(&format!("a1 {k}"), &fit, &rows_v);
                notes.extend(unidentified_note(&fit, "expertise", k));
                let (n, users) = (fit.n_obs as u64, fit.n_clusters as u64);
                coef_row.push(coef_cell(th, &fit, "expertise", n, users));
                // The mean of a 0/1 outcome is a share of the sample; the observations a
                // count (both rounded with the rest of the counts).
                mean_row.push(
                    th.cell(th.round_share(Estimate::value(fit.y_mean), n), n, users)
                        .with_class(OutputClass::Share),
                );
                n_row.push(th.cell(Estimate::value(n as f64), n, users));
                if fit.n_singletons > 0 {
                    notes.push(format!(
                        "{k}: {} fixed-effect singletons dropped.",
                        th.published_count(fit.n_singletons as u64)
                    ));
                }
            }
            Err(e) => {
                notes.push(format!("{k}: not estimable ({e})."));
                fits.record(&format!("a1 {k}"), &rows_v);
                let c = empty_cell(th, &rows_v);
                coef_row.push(c);
                mean_row.push(c);
                n_row.push(c);
            }
        }
    }
    t_push(&mut a1, "Expertise (per level)".into(), coef_row);
    t_push(&mut a1, "Mean of verified success".into(), mean_row);
    t_push(&mut a1, "Observations".into(), n_row);
    a1.study_reference =
        Some("study: preferred column +0.0379 (SE 0.0009) per expertise level".into());
    a1.reading = reading(&a1, th).unwrap_or_default();
    notes.push(
        "Columns add fixed effects cumulatively: (1) none; (2) work mode × value band; (3) + \
         month; (4) + work-performed occupation; (5) + user-profile occupation; (6) + model \
         tier × session-length band (model family × model-call band) and ln(model calls), \
         ln(human turns). Standard errors clustered by user (CR1), p-values from t(G−1)."
            .into(),
    );
    notes.push(if agent_fe {
        "The data hold sessions of more than one agent: column (6) also has agent fixed \
         effects, so differences between agents do not enter the expertise coefficient; \
         columns (1)–(5) pool the agents."
            .into()
    } else {
        "All interactive sessions come from one agent: no agent fixed effects, and no by-agent \
         table (it would repeat the totals)."
            .into()
    });
    if agent_fe && !agents.table() {
        notes.push(
            "No agent has sessions of enough people to be shown apart, so there is no by-agent \
             table."
                .into(),
        );
    }
    a1.notes = notes;
    a1
}
