//! Classifier validation: sessions classified as writing code against lines changed.

use super::prelude::*;

pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &["validation_writes_code"],
    build: |cx, _| vec![validation(&cx.th, &cx.all)],
    reading,
};

fn reading(t: &Table, th: &Threshold) -> Option<String> {
    Some(match published(t, 0, 0) {
        Some(v) => format!(
            "{} of sessions classified as writing code changed lines.",
            pct(v)
        ),
        None => missing(
            th,
            "Too few people to publish the agreement.",
            "No session is classified as writing code.",
        ),
    })
}

/// "Writing code": codebase relation Modify or Create.
pub(crate) fn writes_code(o: &Obs) -> bool {
    matches!(
        o.relation,
        Some(CodebaseRelation::Modify) | Some(CodebaseRelation::Create)
    )
}

/// Telemetry shows lines added or removed; `None` when the transcript cannot tell (missing,
/// not "no lines": such sessions are left out of the table, and counted in its notes).
pub(crate) fn lines_changed(o: &Obs) -> Option<bool> {
    // Telemetry knows both counts or neither (`lines_added` decides).
    let t = &o.f.telemetry;
    Some(t.lines_added? + t.lines_removed.unwrap_or(0) > 0)
}

pub(crate) fn validation(th: &Threshold, all: &[&Obs]) -> Table {
    let labelled: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.relation.is_some())
        .collect();
    let writes = writes_code;
    let changed = lines_changed;
    let mut t = table(
        "validation_writes_code",
        "Validation",
        "Classifier vs telemetry: sessions classified as writing code that show lines changed",
        Chart::Bars,
        vec![col("agreement", "Agreement", "share")],
    );
    let code: Vec<&Obs> = labelled.iter().copied().filter(|o| writes(o)).collect();
    let no_code: Vec<&Obs> = labelled.iter().copied().filter(|o| !writes(o)).collect();
    t_push(
        &mut t,
        "Classified as writing code: lines changed".into(),
        vec![rate_cell(th, &code, changed)],
    );
    t_push(
        &mut t,
        "Classified as not writing code: no lines changed".into(),
        vec![rate_cell(th, &no_code, |o| changed(o).map(|c| !c))],
    );
    t_push(
        &mut t,
        "All sessions: label and telemetry agree".into(),
        vec![rate_cell(th, &labelled, |o| {
            changed(o).map(|c| writes(o) == c)
        })],
    );
    t.study_reference =
        Some("study: over 90% of sessions classified as producing code show lines changed".into());
    t.reading = reading(&t, th).unwrap_or_default();
    t.notes.push(
        "\"Writing code\" = codebase relation Modify existing code or Create new code from \
         scratch; lines changed = lines added + removed > 0 in telemetry. Agreement between two \
         classifier backends needs two label sets per session and is not computed from one \
         facets file."
            .into(),
    );
    // The words after the number are a statement the privacy pass knows (links.rs).
    let unknown = labelled.iter().filter(|o| changed(o).is_none()).count();
    t.notes.push(format!(
        "{unknown} sessions whose transcripts cannot tell lines changed are left out of these \
         rates, not counted as no lines (docs/FORMATS.md)."
    ));
    t
}
