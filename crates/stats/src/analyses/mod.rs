//! The study's analyses (rubric §5) as functions of a facets table, producing [`Results`].
//!
//! [`analyse`] is the only entry point: it applies the rubric's sample filters (interactive
//! sessions only; No clear goal out of success analyses; Unclear user profile out of occupation
//! analyses), builds every table through the privacy threshold (cells with fewer than `k`
//! distinct users are suppressed at construction), and finishes with the whole-document
//! suppression pass. Table ids, columns and units are documented in `docs/RESULTS_SCHEMA.md`.
//!
//! Readings (the one-line plain-language summaries) are generated only from cells that survived
//! suppression, so a reading can never disclose a suppressed number.
//!
//! Each table or figure is one module behind [`REGISTRY`]: an [`Analysis`] names the tables it
//! produces, builds them from the shared [`Ctx`], and writes their readings. What modules
//! share — observations ([`obs`]), cells and compositions ([`cells`]), the regression
//! machinery ([`regress`]), the sample block ([`sample`]), the differencing families
//! ([`links`]) — lives in its own module.

mod by_agent;
mod cells;
mod fig1;
mod fig2;
mod fig3;
mod fig4;
mod fig5;
mod fig6;
mod fig_a1;
mod fig_a2;
mod links;
mod noise;
mod obs;
mod regress;
mod sample;
mod table_a1;
mod table_a2;
mod validation;

pub use by_agent::{BY_AGENT, BY_AGENT_WORK_MODE};
pub use cells::personal_words;
pub use sample::{sample, sample_with, OTHER_AGENTS, OTHER_SUPPRESSED};

/// What every analysis module imports.
mod prelude {
    pub(crate) use super::cells::*;
    pub(crate) use super::obs::*;
    pub(crate) use super::regress::*;
    pub(crate) use super::sample::*;
    pub(crate) use super::{Analysis, Ctx};
    pub(crate) use crate::descriptive::{
        clustered_mean, clustered_share, geometric_mean, session_mean, session_share, ClusteredMean,
    };
    pub(crate) use crate::privacy::{Estimate, Threshold};
    pub(crate) use crate::regression::{fit, Design, Factor, Fit, FitOptions, Vcov};
    pub(crate) use crate::results::{
        Cell, Chart, Column, OutputClass, Row, Sample, Table, Withheld,
    };
    pub(crate) use agentstat_facets::{
        CodebaseRelation, Decisions, Derived, Expertise, Facet, Occupation, Outcome, TaskValue,
        UserProfile, ValueBand, WorkMode,
    };
    pub(crate) use std::collections::{BTreeSet, HashMap, HashSet};
}

use crate::privacy::{self, Threshold};
use crate::results::{Results, Table, SCHEMA_VERSION};
use agentstat_facets::Facet;
use obs::{Fits, Obs};
use sample::{agents_follow_table, AgentRows};
use std::collections::HashMap;

/// Old name of [`Threshold`], the one type for the privacy rule from the command line to the
/// cells (`--min-users`/`--personal` → [`crate::privacy::decide_mode`] → `Threshold`). Kept so
/// existing callers compile; new code names `Threshold`.
pub type AnalysisOptions = Threshold;

/// Whether this build can add differential-privacy noise (cargo feature `dp`).
pub const DP_AVAILABLE: bool = cfg!(feature = "dp");

/// User-level differential privacy settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DpOptions {
    /// Total privacy budget ε for the whole document, split evenly over the noised cells.
    pub epsilon: f64,
    /// Sessions per person kept (contribution bounding; the rest are dropped from DP releases).
    pub max_sessions_per_user: u32,
}

// ---- the registry ------------------------------------------------------------------------

/// What the analyses read: the threshold, the interactive sessions, the by-agent rows.
pub(crate) struct Ctx<'a> {
    pub th: Threshold,
    pub all: Vec<&'a Obs<'a>>,
    pub agents: &'a AgentRows,
    /// More than one agent among the analysed sessions: agent fixed effects in the preferred
    /// regressions.
    pub agent_fe: bool,
}

/// One table or figure of the study.
pub(crate) struct Analysis {
    /// Ids of the tables it can produce, in order.
    pub tables: &'static [&'static str],
    /// Builds its tables (none when the data do not call for them); regressions record their
    /// estimation samples in `Fits` for the differencing check.
    pub build: fn(&Ctx, &mut Fits) -> Vec<Table>,
    /// The one-line reading of one of its tables from published cells only (`None`: the
    /// reading does not depend on the cells). Run again after the cross-table protection, which
    /// may suppress further cells, so a reading never names a number it hid.
    pub reading: fn(&Table, &Threshold) -> Option<String>,
}

/// Every analysis, in the order of the document.
pub(crate) const REGISTRY: [Analysis; 13] = [
    fig1::WORK_MODE,
    fig1::CODEBASE,
    fig2::ANALYSIS,
    fig3::ANALYSIS,
    fig4::ANALYSIS,
    fig5::ANALYSIS,
    fig6::ANALYSIS,
    table_a1::A1,
    table_a2::A2,
    fig_a1::ANALYSIS,
    fig_a2::ANALYSIS,
    validation::ANALYSIS,
    by_agent::ANALYSIS,
];

/// The reading of `t` by the analysis that produced it.
fn reading_of(t: &Table, th: &Threshold) -> Option<String> {
    REGISTRY
        .iter()
        .find(|a| a.tables.contains(&t.id.as_str()))
        .and_then(|a| (a.reading)(t, th))
}
// ---- the entry point ---------------------------------------------------------------------

/// Runs every analysis on `facets` and returns the privacy-checked results document.
pub fn analyse(facets: &[Facet], th: &Threshold) -> Results {
    analyse_with_dp(facets, th, None)
}

/// [`analyse`], with differential-privacy noise on the descriptive shares and means when `dp`
/// is given (needs the `dp` feature, see [`DP_AVAILABLE`]; otherwise those cells are withheld).
/// Regressions and quantiles stay behind the distinct-user threshold only.
pub fn analyse_with_dp(facets: &[Facet], th: &Threshold, dp: Option<DpOptions>) -> Results {
    let th = *th;
    let mut codes: HashMap<&str, u32> = HashMap::new();
    let mut obs: Vec<Obs> = Vec::new();
    for f in facets.iter().filter(|f| f.interactive) {
        let n = codes.len() as u32;
        let user = *codes.entry(f.user_key.as_str()).or_insert(n);
        let idx = obs.len();
        obs.push(Obs::new(f, user, idx));
    }
    // More than one agent among the analysed sessions: agent fixed effects in the preferred
    // regressions, and the by-agent tables (when at least two agent rows can be shown).
    let agents = AgentRows::new(facets, &th);
    let multi_agent = agents.interactive_agents > 1;
    if agents.table() {
        for o in &mut obs {
            o.agent = agents.row_of.get(o.f.agent.as_str()).copied();
        }
    }
    let cx = Ctx {
        th,
        all: obs.iter().collect(),
        agents: &agents,
        agent_fe: multi_agent,
    };
    let mut fits = Fits::new(obs.len());
    let mut tables: Vec<Table> = REGISTRY
        .iter()
        .flat_map(|a| (a.build)(&cx, &mut fits))
        .collect();
    // Cells over the same people in different tables (or rows of one table that add up to a
    // stated total) are suppressed consistently, so no suppressed count is a difference of
    // published ones (docs/STATISTICS.md, "Differencing across tables").
    links::protect(&th, &obs, &mut tables, &fits);
    // The protection may have suppressed cells a reading was written from.
    for t in &mut tables {
        if let Some(r) = reading_of(t, &th) {
            t.reading = r;
        }
        cells::match_headline(t, &th);
        cells::dominance_note(t, &th);
        if th.personal {
            cells::personal_notes(t);
        }
    }

    let dp_ledger = dp.map(|dp| noise::apply_dp(&mut tables, &cx.all, &th, dp));
    let mut sample = sample_with(facets, &th);
    if agents.table() {
        agents_follow_table(&mut sample, facets, &tables, &th);
    }
    let mut results = Results {
        schema_version: SCHEMA_VERSION,
        generated_by: format!("agentstat {}", env!("CARGO_PKG_VERSION")),
        privacy: Default::default(),
        sample,
        tables,
    };
    privacy::enforce(&mut results, &th);
    // A suppressed cell's counts would disclose what suppression hides (a share is its count
    // over a published total), so they are not published either.
    for c in results
        .tables
        .iter_mut()
        .flat_map(|t| &mut t.rows)
        .flat_map(|r| &mut r.cells)
    {
        if c.suppressed {
            c.n_sessions = 0;
            c.n_users = 0;
        }
    }
    if th.rounds() {
        round_counts(&mut results, th.round_base());
        sample::round_sample(&mut results.sample, th.round_base());
    }
    results.privacy.dp = dp_ledger;
    results
}

/// Team mode with rounding: every published cell's session and people counts, and the value of
/// a count, rounded to `base` ([`crate::rounding`]; shares were published on their grid when
/// built, and notes' population sizes rounded by the protection).
fn round_counts(results: &mut Results, base: u32) {
    use crate::results::OutputClass;
    for c in results
        .tables
        .iter_mut()
        .flat_map(|t| &mut t.rows)
        .flat_map(|r| &mut r.cells)
        .filter(|c| !c.suppressed)
    {
        c.round_counts(base, c.class == OutputClass::Count);
    }
    results.privacy.round_base = base;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table id is owned by exactly one analysis, and a run on data that call for every
    /// table (two agents) produces exactly the registry's ids, in its order.
    #[test]
    fn the_registry_names_every_table_once_and_in_order() {
        let ids: Vec<&str> = REGISTRY
            .iter()
            .flat_map(|a| a.tables.iter().copied())
            .collect();
        let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");

        let mut facets = Vec::new();
        for (i, agent) in ["claude-code", "gemini-cli"].iter().enumerate() {
            let mut f = Facet {
                session_key: format!("s{i}"),
                user_key: format!("u{i}"),
                agent: (*agent).into(),
                agent_version: None,
                interactive: true,
                excluded_reason: None,
                telemetry: Default::default(),
                habits: None,
                labels: None,
            };
            f.telemetry.month = Some("2026-01".into());
            facets.push(f);
        }
        let r = analyse(&facets, &Threshold::personal());
        let got: Vec<&str> = r.tables.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(got, ids);
    }
}
