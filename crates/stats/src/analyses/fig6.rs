//! Fig. 6: success by user-profile occupation among sessions that wrote code.

use super::prelude::*;

pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &["fig6_occupation"],
    build: |cx, _| vec![fig6(&cx.th, &cx.all)],
    reading,
};

fn reading(t: &Table, th: &Threshold) -> Option<String> {
    Some(match argmax(t, 1) {
        Some((g, v)) => format!(
            "Highest verified success among code-writing sessions: {g} ({}).",
            pct(v)
        ),
        None => missing(
            th,
            "Too few people per occupation group to publish success rates.",
            "No code-writing session with a goal has a verified-success rate by occupation.",
        ),
    })
}

pub(crate) fn fig6(th: &Threshold, all: &[&Obs]) -> Table {
    let rows: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.in_success_sample() && o.d.wrote_code)
        .filter(|o| matches!(o.profile, Some(UserProfile::Group(_))))
        .collect();
    let unclear = all
        .iter()
        .filter(|o| {
            o.in_success_sample() && o.d.wrote_code && o.profile == Some(UserProfile::Unclear)
        })
        .count();
    let mut t = table(
        "fig6_occupation",
        "Fig. 6",
        "Success by user-profile occupation, sessions that wrote code",
        Chart::Points,
        vec![
            col("judged", "Judged success", "rate"),
            col("verified", "Verified success", "rate"),
        ],
    );
    let groups: BTreeSet<Occupation> = rows.iter().filter_map(|o| o.profile?.group()).collect();
    for g in Occupation::ALL.iter().filter(|g| groups.contains(g)) {
        let gr: Vec<&Obs> = rows
            .iter()
            .copied()
            .filter(|o| o.profile == Some(UserProfile::Group(*g)))
            .collect();
        let cells = vec![
            rate_cell(th, &gr, |o| o.d.judged_success),
            rate_cell(th, &gr, |o| o.d.verified_success),
        ];
        t_push(&mut t, g.as_str().into(), cells);
    }
    t.reading = reading(&t, th).unwrap_or_default();
    t.notes.push(format!(
        "{} code-writing sessions with a goal and an occupation; {unclear} with an Unclear user \
         profile excluded. Groups with no session are not listed. 95% CIs clustered by user.",
        rows.len()
    ));
    t
}
