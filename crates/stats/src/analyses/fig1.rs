//! Fig. 1: shares of sessions by work mode and by codebase relation. Both tables are one
//! [`Composition`] each: the shared logic (categories as rows, complementary suppression, the
//! count note) is in [`composition_table`], the two tables differ only in data.

use super::prelude::*;

pub(crate) const WORK_MODE_TABLE: Composition = Composition {
    id: "fig1_work_mode",
    figure: "Fig. 1",
    title: "Share of sessions by work mode",
    categories: &WORK_MODES,
    study_reference: None,
    count_note: "interactive sessions with a work-mode label",
    note_interval: true,
};

pub(crate) const CODEBASE_TABLE: Composition = Composition {
    id: "fig1_codebase_relation",
    figure: "Fig. 1",
    title: "Share of sessions by codebase relation",
    categories: &CODEBASE_RELATIONS,
    study_reference: Some(
        "study: Modify existing code 48%, Explore existing code 17%, Create new code from \
         scratch 14%, No codebase about 20%",
    ),
    count_note: "sessions with a codebase-relation label",
    note_interval: false,
};

pub(crate) const WORK_MODE: Analysis = Analysis {
    tables: &["fig1_work_mode"],
    build: |cx, _| vec![composition_table(&WORK_MODE_TABLE, cx, reading_work_mode)],
    reading: |t, th| Some(reading_work_mode(t, th)),
};

pub(crate) const CODEBASE: Analysis = Analysis {
    tables: &["fig1_codebase_relation"],
    build: |cx, _| vec![composition_table(&CODEBASE_TABLE, cx, reading_codebase)],
    reading: |t, th| Some(reading_codebase(t, th)),
};

pub(crate) fn reading_work_mode(t: &Table, th: &Threshold) -> String {
    match argmax(t, 0) {
        Some((m, v)) => format!("{m} is the most common work mode: {} of sessions.", pct(v)),
        None => missing(
            th,
            "Too few people per work mode to publish any share.",
            "No session has a work-mode label.",
        ),
    }
}

pub(crate) fn reading_codebase(t: &Table, th: &Threshold) -> String {
    match argmax(t, 0) {
        Some((r, v)) => format!("Most sessions are \"{r}\": {}.", pct(v)),
        None => missing(
            th,
            "Too few people per category to publish any share.",
            "No session has a codebase-relation label.",
        ),
    }
}
