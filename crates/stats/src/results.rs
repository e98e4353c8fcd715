//! The results document: every number a report shows, as plain data.
//!
//! `agentstat stats --json` prints it, `results.json` stores it, and `agentstat-report` renders
//! it. Every cell carries its session and distinct-user counts and whether it was suppressed,
//! so no consumer can publish a cell below the privacy threshold by accident: a suppressed
//! cell has `value: None` (and no interval), never zero.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn is_zero(x: &u32) -> bool {
    *x == 0
}

/// Bumped on any incompatible change to this document.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Results {
    pub schema_version: u32,
    /// `agentstat <version>`.
    pub generated_by: String,
    pub privacy: Privacy,
    pub sample: Sample,
    /// Figures and tables, in report order.
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Privacy {
    /// Minimum distinct users per published cell (`k`).
    pub min_users: u32,
    /// Personal mode: one user analysing their own sessions; thresholds do not apply.
    pub personal_mode: bool,
    /// Cells suppressed because they had fewer than `min_users` distinct users.
    pub suppressed_cells: u32,
    /// Team mode: counts (cells' session and people counts, count values, the population
    /// sizes in notes) are rounded to this base, shares published on the grid it allows; 0:
    /// not rounded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub round_base: u32,
    /// Differential-privacy budget ledger, when DP noise was applied.
    pub dp: Option<DpLedger>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct DpLedger {
    pub mechanism: String,
    pub total_epsilon: f64,
    pub max_sessions_per_user: u32,
    /// (what was released, epsilon spent)
    pub entries: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Sample {
    pub sessions: u64,
    pub interactive_sessions: u64,
    /// Excluded sessions by reason (`no human turns`, …).
    pub excluded: BTreeMap<String, u64>,
    /// Distinct users among all sessions (suppressed to `None` below `k` outside personal mode
    /// is not needed: a count of people is not a cell about anyone).
    pub people: u64,
    /// First and last session month/day (`YYYY-MM-DD`).
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// Sessions per agent (all sessions, interactive or not).
    pub agents: BTreeMap<String, u64>,
    /// Distinct people per agent, with the same keys as `agents` (a folded bucket counts the
    /// people of every agent in it once).
    #[serde(default)]
    pub agent_people: BTreeMap<String, u64>,
    pub model_families: BTreeMap<String, u64>,
    /// Classifier provenance: `backend / model / prompt_version` → sessions.
    pub classifiers: BTreeMap<String, u64>,
    /// Sentences about the classifier behind the labels, set by the command that knows it:
    /// the learned classifier's validated agreement per facet and which facets rest mostly on
    /// low-confidence labels. Empty (and absent from the JSON) for other classifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifier_notes: Vec<String>,
    /// The same per facet, as data: who made each facet's labels, their validated agreement
    /// with careful raters when known, and why figures by the facet are rough, if they are.
    /// Empty (and absent from the JSON) when the command did not set it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_trust: Vec<LabelTrust>,
    /// Sessions whose classification had at least one recorded error.
    pub classification_errors: u64,
    /// Transcript lines, records or files skipped while reading (data lost), in total; `None`
    /// when the report was built from facets files, which do not record it.
    #[serde(default)]
    pub skipped_lines: Option<u64>,
    /// The same, by reason (`invalid json`, `invalid utf-8`, …: agentstat's own words).
    #[serde(default)]
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Transcript sources that yielded no session at all; `None` when built from facets files.
    #[serde(default)]
    pub unreadable_sources: Option<u64>,
    /// Why there are `people` people: how many of the user keys name a person (a home directory
    /// in the working folder, or a `--user` label) …
    #[serde(default)]
    pub people_identified: u64,
    /// … and whether one more key is the unidentified fallback, shared by every session whose
    /// working folder names no home directory (it may be several people, or you).
    #[serde(default)]
    pub unidentified_key: bool,
}

/// One facet's labels by one classifier: how far they can be trusted (docs/REPORT.md).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct LabelTrust {
    /// `work_mode`, `codebase_relation`, `decisions`, `expertise`, `user_profile`,
    /// `work_performed`, `outcome`, `success_signal`, `failure_signal`, `value_band`.
    pub facet: String,
    /// `learned` (the embedded default model), `heuristic`, `own_model` (a model file other
    /// than the embedded one), `llm`.
    pub classifier: String,
    /// The rules' version, the model's id, or `backend / model` for an LLM.
    pub source: String,
    /// Agreement with careful raters, when validated (`null`: not known).
    pub agreement: Option<ValidatedAgreement>,
    /// Why figures by this facet are to be read as rough, if they are: `constant` (the same
    /// label for every session), `no_better_than_constant`, `low` (exact agreement below the
    /// trust threshold), `not_validated`.
    pub rough: Option<String>,
}

/// A validated agreement figure and what it rests on.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct ValidatedAgreement {
    /// `held_out_half` (people no rule change was designed on), `nested_validation` (people
    /// outside training), `own_training_cv` (the model file's own cross-validation: optimistic).
    pub basis: String,
    /// Ratings scored.
    pub ratings: u64,
    /// Exact agreement (0–1) with its 95% Wilson interval (when known).
    pub exact: f64,
    pub exact_low: Option<f64>,
    pub exact_high: Option<f64>,
    /// Within one level (the scales only).
    pub within_one: Option<f64>,
    /// Always answering the most common label, exact.
    pub constant: Option<f64>,
    /// Two raters with each other on sessions rated twice (the ceiling), exact and within one.
    pub raters: Option<f64>,
    pub raters_within_one: Option<f64>,
}

impl Sample {
    /// Fills [`Sample::people_identified`] and [`Sample::unidentified_key`] from the facets.
    pub fn explain_people(&mut self, facets: &[agentstat_facets::Facet]) {
        let mut named = std::collections::HashSet::new();
        self.unidentified_key = false;
        for f in facets {
            if f.telemetry.user_unknown {
                self.unidentified_key = true;
            } else {
                named.insert(f.user_key.as_str());
            }
        }
        self.people_identified = named.len() as u64;
    }
}

/// How a report should draw a table (it always also shows the numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// A plain table.
    #[default]
    None,
    /// Horizontal bars: one bar per row, first column's value (with CI if present).
    Bars,
    /// Box plots: columns `p5`, `p25`, `median`, `p75`, `p95` (and optional `geomean`).
    Box,
    /// Lines over rows (e.g. months); one line per column.
    Lines,
    /// Points with confidence intervals; one series per column.
    Points,
    /// Stacked shares per row (each row sums to 1 across columns).
    Stacked,
    /// A histogram: rows are bins, first column the share.
    Histogram,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Table {
    /// Stable id, e.g. `fig1_work_mode`, `table_a1`.
    pub id: String,
    /// Which study figure/table this belongs to, e.g. `Fig. 1`, `Table A1`.
    pub figure: String,
    pub title: String,
    /// One-line plain-language reading of the result.
    pub reading: String,
    /// The study's published figure for comparison, when meaningful.
    pub study_reference: Option<String>,
    pub chart: Chart,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
    /// How far the labels the table rests on can be trusted, when they are to be read as rough
    /// (set by the report: docs/REPORT.md, "How far the labels can be trusted"); shown above
    /// the chart. Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caution: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Column {
    pub key: String,
    pub label: String,
    /// `share` (0–1), `count`, `rate`, `coef`, `usd`, `ratio`, …
    pub unit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Row {
    pub label: String,
    /// One cell per column, in column order.
    pub cells: Vec<Cell>,
}

/// What kind of number a cell publishes: it decides which disclosure rules apply
/// (docs/STATISTICS.md, "Output classes"). Counts and shares are linear in the counts of
/// sessions, so the differencing protection and rounding act on them; means, quantiles and
/// indices of per-session magnitudes are checked for dominance by one or two people; model
/// coefficients follow the safe-output rule (people, residual degrees of freedom, no
/// coefficient isolating a small group).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum OutputClass {
    /// A number of sessions or people.
    #[default]
    Count,
    /// A share or rate: a count over a count.
    Share,
    /// A mean of per-session values.
    Mean,
    /// A quantile of per-session values.
    Quantile,
    /// An index built from per-session magnitudes (the task-value index).
    Index,
    /// An estimated model coefficient, or a predictive margin of a model.
    Coef,
}

impl OutputClass {
    /// The class as `results.json` spells it (`count`, `share`, …).
    pub fn key(self) -> &'static str {
        match self {
            OutputClass::Count => "count",
            OutputClass::Share => "share",
            OutputClass::Mean => "mean",
            OutputClass::Quantile => "quantile",
            OutputClass::Index => "index",
            OutputClass::Coef => "coef",
        }
    }

    /// Linear in the counts of sessions: the classes the differencing protection and rounding
    /// act on.
    pub fn linear(self) -> bool {
        matches!(self, OutputClass::Count | OutputClass::Share)
    }

    /// Built from per-session magnitudes: the classes the dominance rule checks.
    pub fn magnitude(self) -> bool {
        matches!(
            self,
            OutputClass::Mean | OutputClass::Quantile | OutputClass::Index
        )
    }
}

/// Why a cell is withheld (docs/RESULTS_SCHEMA.md).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// It rests on fewer than `k` people (or, for a model coefficient, the model fails the
    /// safe-output rule: too few people, too few residual degrees of freedom, or the
    /// coefficient isolates a group of fewer than `k` people).
    FewPeople,
    /// It has enough people, but publishing it would let a hidden cell be recovered from other
    /// tables (complementary and differencing protection).
    Protection,
    /// A magnitude cell whose total is dominated by one or two people (nk or p% rule).
    Dominance,
}

impl Withheld {
    /// The reason as `results.json` spells it (`few_people`, `protection`, `dominance`): the
    /// CSV export's `withheld` column.
    pub fn key(self) -> &'static str {
        match self {
            Withheld::FewPeople => "few_people",
            Withheld::Protection => "protection",
            Withheld::Dominance => "dominance",
        }
    }

    /// The words a report uses for the reason.
    pub fn words(self) -> &'static str {
        match self {
            Withheld::FewPeople => "withheld: fewer than k people",
            Withheld::Protection => {
                "withheld so that a hidden cell cannot be recovered from other tables"
            }
            Withheld::Dominance => "withheld: dominated by one or two people",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default, PartialEq)]
pub struct Cell {
    /// `None` when suppressed or not estimable.
    pub value: Option<f64>,
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
    pub n_sessions: u64,
    pub n_users: u64,
    /// Withheld: no number is published (see `withheld` for why).
    pub suppressed: bool,
    /// What kind of number this is.
    #[serde(default)]
    pub class: OutputClass,
    /// Why a suppressed cell is withheld (absent for published cells, and in documents from
    /// before the reasons were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Withheld>,
    /// For a model coefficient: the residual degrees of freedom of its model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_df: Option<u64>,
    /// For a model coefficient: whether its regressor is an indicator isolating a group of
    /// fewer than `k` people (a group mean in disguise: withheld under the safe-output rule).
    /// Absent for other cells and in documents from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolates_group: Option<bool>,
}

impl Cell {
    /// Team mode with rounding: the session and people counts rounded to `base`, and the value
    /// too when it is a count (`value_is_count`) ([`crate::rounding::round_count`]).
    pub(crate) fn round_counts(&mut self, base: u32, value_is_count: bool) {
        use crate::rounding::round_count;
        self.n_sessions = round_count(self.n_sessions, base);
        self.n_users = round_count(self.n_users, base);
        if value_is_count {
            self.value = self
                .value
                .map(|v| round_count(v.max(0.0).round() as u64, base) as f64);
        }
    }

    /// The same cell declaring `class`.
    pub fn with_class(self, class: OutputClass) -> Cell {
        Cell { class, ..self }
    }

    /// The cell withheld for `why`: no numbers; the counts stay for the analysis' own
    /// bookkeeping (`privacy::enforce` clears them before output). A cell already withheld
    /// keeps its first reason.
    pub fn withhold(self, why: Withheld) -> Cell {
        Cell {
            value: None,
            se: None,
            ci_low: None,
            ci_high: None,
            p_value: None,
            suppressed: true,
            withheld: self.withheld.or(Some(why)),
            ..self
        }
    }
}
