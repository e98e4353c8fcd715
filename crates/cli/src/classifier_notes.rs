//! How far each facet's labels can be trusted, in the report: for every facet the report shows,
//! which classifier made its labels (the learned model, the heuristic rules, an LLM backend, a
//! model file of your own) and, for the embedded defaults, their validated agreement with
//! careful raters on people outside the validation beside the raters' own agreement (from the
//! embedded summary, `agentstat_learn::summary`); a note on every table built on a facet whose
//! labels are below the trust threshold, constant, or not validated at all; and, for learned
//! labels, the figures that rest mostly on low-confidence labels.

use agentstat_facets::{Facet, Labels, Provenance};
use agentstat_learn::summary::{FacetSummary, Rough, Summary};
use agentstat_learn::{LearnedFacet, Model};
use agentstat_stats::privacy::Threshold;
use agentstat_stats::results::{LabelTrust, Results, ValidatedAgreement};
use std::collections::{BTreeMap, BTreeSet};

/// A learned label below this probability is low-confidence.
pub const LOW: f64 = 0.5;

/// A facet the report shows: the nine the classifiers label, and the decision counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Facet(LearnedFacet),
    Decisions,
}

impl Shown {
    const ALL: [Shown; 10] = [
        Shown::Facet(LearnedFacet::WorkMode),
        Shown::Facet(LearnedFacet::CodebaseRelation),
        Shown::Decisions,
        Shown::Facet(LearnedFacet::Expertise),
        Shown::Facet(LearnedFacet::UserProfile),
        Shown::Facet(LearnedFacet::WorkPerformed),
        Shown::Facet(LearnedFacet::Outcome),
        Shown::Facet(LearnedFacet::SuccessSignal),
        Shown::Facet(LearnedFacet::FailureSignal),
        Shown::Facet(LearnedFacet::ValueBand),
    ];

    fn name(self) -> &'static str {
        match self {
            Shown::Facet(f) => f.name(),
            Shown::Decisions => "decisions",
        }
    }

    fn title(self) -> String {
        match self {
            Shown::Facet(f) => f.title(),
            Shown::Decisions => "decision attribution".into(),
        }
    }

    fn provenance(self, l: &Labels) -> &Provenance {
        match self {
            Shown::Facet(f) => f.meta(l).0,
            Shown::Decisions => &l.decisions.provenance,
        }
    }
}

/// The facets each table's figures rest on (its categories, or the outcome it measures).
/// Tables not listed rest on no label (telemetry only).
fn rests_on(table: &str) -> &'static [Shown] {
    use LearnedFacet as F;
    use Shown::{Decisions as D, Facet as L};
    match table {
        "fig1_work_mode" | "fig4_work_mode_by_month" | "by_agent_work_mode" => &[L(F::WorkMode)],
        "fig1_codebase_relation" | "validation_writes_code" => &[L(F::CodebaseRelation)],
        "fig2_agent_decision_share" | "fig2_user_decision_share" | "figa2_by_agent_share" => &[D],
        "fig3_actions_by_expertise" | "fig3_words_by_expertise" | "fig3_regression" => {
            &[L(F::Expertise)]
        }
        "fig4_value_by_month" => &[L(F::ValueBand)],
        "fig4_value_by_mode" => &[L(F::WorkMode), L(F::ValueBand)],
        "fig5_adjusted_rates" | "table_a1" | "table_a2" => {
            &[L(F::Expertise), L(F::Outcome), L(F::SuccessSignal)]
        }
        "fig5_troubled" => &[L(F::Expertise), L(F::FailureSignal), L(F::Outcome)],
        "fig6_occupation" => &[L(F::UserProfile), L(F::Outcome), L(F::SuccessSignal)],
        "figa1_success_by_signal" | "by_agent" | "personal_trend" => {
            &[L(F::Outcome), L(F::SuccessSignal), L(F::FailureSignal)]
        }
        "personal_habits_success" => &[L(F::Outcome), L(F::SuccessSignal)],
        "personal_habits_trouble" => &[L(F::FailureSignal)],
        "personal_advice" => &[L(F::Outcome), L(F::SuccessSignal), L(F::FailureSignal), D],
        "personal_vs_study" => &[
            L(F::Outcome),
            L(F::SuccessSignal),
            L(F::FailureSignal),
            L(F::WorkMode),
            L(F::CodebaseRelation),
            D,
        ],
        _ => &[],
    }
}

/// Who made a facet's labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Maker {
    /// The heuristic rules, of this version.
    Heuristic(String),
    /// The learned model embedded in this binary.
    Embedded(String),
    /// A learned model file other than the embedded one (its id).
    OwnModel(String),
    /// An LLM backend (`backend / model`).
    Llm(String),
    /// Team mode: the classifiers whose labels come from fewer than `k` people, not named (as
    /// the sample's `classifiers` map folds them).
    Hidden(u32),
}

impl Maker {
    /// (`classifier`, `source`) as `sample.label_trust` spells them.
    fn describe(&self) -> (&'static str, String) {
        match self {
            Maker::Heuristic(v) => ("heuristic", v.clone()),
            Maker::Embedded(id) => ("learned", id.clone()),
            Maker::OwnModel(id) => ("own_model", id.clone()),
            Maker::Llm(m) => ("llm", m.clone()),
            Maker::Hidden(_) => ("other (suppressed)", String::new()),
        }
    }

    fn of(p: &Provenance, embedded_id: Option<&str>) -> Maker {
        match p.backend.as_str() {
            "heuristic" => Maker::Heuristic(p.prompt_version.clone()),
            "learned" if Some(p.model.as_str()) == embedded_id => Maker::Embedded(p.model.clone()),
            "learned" => Maker::OwnModel(p.model.clone()),
            _ => Maker::Llm(format!("{} / {}", p.backend, p.model)),
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn share(s: &agentstat_learn::metrics::Share) -> String {
    format!("{} [{:.0}–{:.0}]", pct(s.p), s.lo * 100.0, s.hi * 100.0)
}

/// What a facet's labels are worth, as one sentence for the sample block, and the note its
/// tables carry when they are to be read as rough (`None`: no note).
struct Verdict {
    sentence: String,
    table_note: Option<String>,
    /// The same as data (`results.json` `sample.label_trust`).
    agreement: Option<ValidatedAgreement>,
    rough: Option<&'static str>,
}

/// The verdict on one facet's labels by one maker. `summary`: the embedded validation summary;
/// `model`: the model file that labelled the sessions, when the report knows it.
fn verdict(
    shown: Shown,
    maker: &Maker,
    summary: Option<&Summary>,
    model: Option<&Model>,
) -> Verdict {
    let title = shown.title();
    let cap = capitalise(&title);
    let unknown = |who: &str, why: &str| {
        Verdict {
        sentence: format!("{cap}: labelled by {who}; {why}"),
        table_note: Some(format!(
            "{cap} labels by {who} are not validated here: how far they agree with careful raters is not known."
        )),
        agreement: None,
        rough: Some("not_validated"),
    }
    };
    let Shown::Facet(f) = shown else {
        // Decision attribution: no validation on people outside development exists.
        let who = match maker {
            Maker::Heuristic(_) => "the heuristic rules".to_string(),
            Maker::Llm(m) => format!("an LLM ({m})"),
            Maker::Embedded(_) | Maker::OwnModel(_) => "the learned classifier".to_string(),
            Maker::Hidden(k) => hidden(*k),
        };
        return unknown(
            &who,
            "not validated on people outside development (docs/VALIDATION.md has the 37-session development figures only): read the decision shares as rough.",
        );
    };
    match maker {
        Maker::Hidden(k) => unknown(&hidden(*k), "their agreement with careful raters is not known here."),
        Maker::Llm(m) => unknown(
            &format!("an LLM ({m})"),
            "not validated here: its agreement with careful raters is not known (`agentstat agree` compares it with a labelled set, docs/VALIDATION.md).",
        ),
        Maker::OwnModel(id) => match model.filter(|m| &m.id() == id).and_then(|m| m.facet(f)) {
            Some(fm) => {
                let within = fm
                    .cv
                    .learned_within
                    .map(|w| format!(", within one level {}", pct(w)))
                    .unwrap_or_default();
                // The same threshold as for the embedded defaults, on the model's own figures.
                let (rough, table_note) = if fm.spec == agentstat_learn::train::CONSTANT {
                    (Some("constant"), Some(format!(
                        "{cap}: your model gives the same label for every session: figures by {title} say nothing about these sessions."
                    )))
                } else if fm.cv.learned_exact <= fm.cv.constant_exact {
                    (Some("no_better_than_constant"), Some(format!(
                        "{cap}: your model's labels agreed with raters no more often than always answering the most common label in its own training: figures by {title} say little."
                    )))
                } else if fm.cv.learned_exact < agentstat_learn::summary::TRUST_EXACT {
                    (Some("low"), Some(format!(
                        "{cap}: your model's labels agreed with raters {} of the time in its own training cross-validation: read figures by {title} as rough.",
                        about(fm.cv.learned_exact)
                    )))
                } else {
                    (None, None)
                };
                Verdict {
                    sentence: format!(
                        "{cap}: labelled by your model {id}; its own training cross-validation (person-grouped, {} ratings) gives {} exact{within} (heuristic {}, always the commonest label {}): a figure from the model's own training, not validated on people outside it.",
                        fm.cv.n,
                        pct(fm.cv.learned_exact),
                        pct(fm.cv.heuristic_exact),
                        pct(fm.cv.constant_exact)
                    ),
                    table_note,
                    agreement: Some(ValidatedAgreement {
                        basis: "own_training_cv".into(),
                        ratings: fm.cv.n as u64,
                        exact: fm.cv.learned_exact,
                        within_one: fm.cv.learned_within,
                        constant: Some(fm.cv.constant_exact),
                        ..Default::default()
                    }),
                    rough,
                }
            }
            None => unknown(
                &format!("a learned model ({id}) other than the embedded one"),
                "its agreement with careful raters is not known here.",
            ),
        },
        Maker::Heuristic(rules) => {
            let validated = summary.filter(|s| &s.rules_version == rules);
            match (summary, validated.and_then(|s| s.facet(f))) {
                (_, Some(fs)) => figures(&cap, &title, "the heuristic rules", "heuristic", fs, summary),
                (Some(_), None) => unknown(
                    &format!("the heuristic rules ({rules})"),
                    "these rules are not the validated ones, so their agreement with careful raters is not known.",
                ),
                (None, None) => unknown(
                    "the heuristic rules",
                    "this build carries no validated figures, so their agreement with careful raters is not known.",
                ),
            }
        }
        Maker::Embedded(_) => match summary.and_then(|s| s.facet(f)) {
            Some(fs) if fs.headline("learned").is_some() => {
                figures(&cap, &title, "the learned model (the default)", "learned", fs, summary)
            }
            _ => unknown(
                "the embedded learned model",
                "the validation covers its label only where the default uses it.",
            ),
        },
    }
}

/// The sentence and note for a validated classifier (`which`: `learned` or `heuristic`).
fn figures(
    cap: &str,
    title: &str,
    who: &str,
    which: &str,
    fs: &FacetSummary,
    summary: Option<&Summary>,
) -> Verdict {
    let h = fs.headline(which).expect("checked by the caller");
    let a = h.agreement;
    let within = a
        .within
        .as_ref()
        .map(|w| format!(", within one level {}", share(w)))
        .unwrap_or_default();
    let basis = match h.basis {
        "held-out half" => {
            let all = if which == "heuristic" {
                &fs.heuristic
            } else {
                &fs.default
            };
            format!(
                "on people never seen (the held-out half of the reference people, {} ratings; {} over all {} ratings, optimistic: the rules were designed with some of them in view)",
                a.exact.n,
                pct(all.exact.p),
                all.exact.n
            )
        }
        _ => format!(
            "on people outside training (nested person-grouped validation, {} ratings{})",
            a.exact.n,
            summary
                .map(|s| format!(" from {} people", s.people))
                .unwrap_or_default()
        ),
    };
    let raters = fs
        .raters
        .as_ref()
        .map(|r| {
            let w = r
                .within
                .as_ref()
                .map(|w| format!(", {} within one", pct(w.p)))
                .unwrap_or_default();
            format!("; two raters agree {}{w}", pct(r.exact.p))
        })
        .unwrap_or_default();
    let mut sentence = format!(
        "{cap}: labelled by {who}; exact agreement with careful raters {}{within} {basis}; always the commonest label {}{raters}.",
        share(&a.exact),
        pct(fs.constant.exact.p),
    );
    let ceiling = fs
        .raters
        .as_ref()
        .map(|r| format!(" (raters with each other {})", pct(r.exact.p)))
        .unwrap_or_default();
    let rough = fs.rough(which);
    let table_note = match rough {
        None => None,
        Some(Rough::Constant) => Some(format!(
            "{cap}: the same label for every session (the classifier always answers the most common one): figures by {title} say nothing about these sessions."
        )),
        Some(Rough::NoBetterThanConstant) => Some(format!(
            "{cap}: the labels agree with careful raters no more often than always answering the most common label would: figures by {title} say little."
        )),
        Some(Rough::Low) => Some(format!(
            "{cap}: the labels agree with careful raters {} of the time{} on people outside the validation{ceiling}: read figures by {title} as rough.",
            about(a.exact.p),
            a.within.as_ref().map(|w| format!(" ({} within one level)", pct(w.p))).unwrap_or_default()
        )),
    };
    if let Some(n) = &table_note {
        // The note without its facet prefix (the sentence already starts with it).
        let n = n.strip_prefix(&format!("{cap}: ")).unwrap_or(n);
        sentence.push(' ');
        sentence.push_str(&capitalise(n));
    }
    let agreement = ValidatedAgreement {
        basis: if h.basis == "held-out half" {
            "held_out_half"
        } else {
            "nested_validation"
        }
        .into(),
        ratings: a.exact.n as u64,
        exact: a.exact.p,
        exact_low: Some(a.exact.lo),
        exact_high: Some(a.exact.hi),
        within_one: a.within.map(|w| w.p),
        constant: Some(fs.constant.exact.p),
        raters: fs.raters.as_ref().map(|r| r.exact.p),
        raters_within_one: fs.raters.as_ref().and_then(|r| r.within).map(|w| w.p),
    };
    let rough = rough.map(|r| match r {
        Rough::Constant => "constant",
        Rough::NoBetterThanConstant => "no_better_than_constant",
        Rough::Low => "low",
    });
    Verdict {
        sentence,
        table_note,
        agreement: Some(agreement),
        rough,
    }
}

fn hidden(k: u32) -> String {
    format!("classifiers used by fewer than {k} people (not named)")
}

/// `about half` for 40–60%, else the percentage.
fn about(p: f64) -> String {
    if (0.4..0.6).contains(&p) {
        format!("about half ({})", pct(p))
    } else {
        pct(p)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Add the notes to `results` (run after every table, the personal ones included, is in).
/// `model`: the learned model file that labelled the sessions, when the report knows it (its
/// own cross-validation is quoted for its facets); `summary`: the embedded validation summary.
/// `th`: the privacy rule; in team mode a classifier whose labels of a facet come from fewer than
/// `k` people is not named (they are counted under "classifiers … not named").
pub fn add(
    facets: &[Facet],
    model: Option<&Model>,
    summary: Option<&Summary>,
    th: &Threshold,
    results: &mut Results,
) {
    let embedded = Model::from_bytes(agentstat_learn::EMBEDDED_MODEL, "embedded").ok();
    let embedded_id = embedded.as_ref().map(Model::id);
    let labels: Vec<(&str, &Labels)> = facets
        .iter()
        .filter(|f| f.interactive)
        .filter_map(|f| Some((f.user_key.as_str(), f.labels.as_ref()?)))
        .collect();
    if labels.is_empty() {
        return;
    }
    let mut table_notes: Vec<(Shown, String)> = Vec::new();
    for shown in Shown::ALL {
        let mut by: BTreeMap<Maker, BTreeSet<&str>> = BTreeMap::new();
        for (user, l) in &labels {
            by.entry(Maker::of(shown.provenance(l), embedded_id.as_deref()))
                .or_default()
                .insert(user);
        }
        let mut makers: BTreeMap<Maker, BTreeSet<&str>> = BTreeMap::new();
        for (m, users) in by {
            let m = if th.allows(users.len() as u64) {
                m
            } else {
                Maker::Hidden(th.min_users)
            };
            makers.entry(m).or_default().extend(users);
        }
        for maker in makers.keys() {
            let v = verdict(shown, maker, summary, model);
            let (classifier, source) = maker.describe();
            results.sample.label_trust.push(LabelTrust {
                facet: shown.name().into(),
                classifier: classifier.into(),
                source,
                agreement: v.agreement.clone(),
                rough: v.rough.map(str::to_string),
            });
            results.sample.classifier_notes.push(if makers.len() > 1 {
                format!("{} (some of the sessions)", v.sentence)
            } else {
                v.sentence
            });
            if let Some(n) = v.table_note {
                table_notes.push((shown, n));
            }
        }
    }
    // Learned labels: which facets rest mostly on low-confidence labels.
    for f in LearnedFacet::ALL {
        let (mut n, mut low) = (0u64, 0u64);
        for (_, l) in &labels {
            let (prov, conf) = f.meta(l);
            if prov.backend == "learned" {
                n += 1;
                low += u64::from(conf.is_some_and(|p| p < LOW));
            }
        }
        if n > 0 && low * 2 > n {
            let note = format!(
                "Most learned {} labels ({:.0}%) have a predicted probability below {LOW}: figures by {} rest mostly on low-confidence labels.",
                f.title(),
                low as f64 / n as f64 * 100.0,
                f.title()
            );
            results.sample.classifier_notes.push(note.clone());
            table_notes.push((Shown::Facet(f), note));
        }
    }
    for t in results.tables.iter_mut() {
        for (shown, note) in &table_notes {
            if rests_on(&t.id).contains(shown) && !t.caution.contains(note) {
                t.caution.push(note.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_facets::*;

    fn prov(backend: &str, model: &str, version: &str) -> Provenance {
        Provenance {
            backend: backend.into(),
            model: model.into(),
            prompt_version: version.into(),
        }
    }

    /// A session whose every label has provenance `p`; expertise's confidence `conf`.
    fn facet(i: usize, p: &Provenance, conf: Option<f64>) -> Facet {
        let mut expertise = Label::ok(Expertise::Advanced, p.clone());
        expertise.confidence = conf;
        let labels = Labels {
            work_mode: Label::ok(WorkMode::Build, p.clone()),
            codebase_relation: Label::ok(CodebaseRelation::Modify, p.clone()),
            decisions: Label::ok(Decisions::default(), p.clone()),
            expertise,
            user_profile: Label::ok(UserProfile::Unclear, p.clone()),
            work_performed: Label::ok(Occupation::ComputerMath, p.clone()),
            outcome: Label::ok(Outcome::Succeeded, p.clone()),
            success_signal: Label::ok(Signal::S4, p.clone()),
            failure_signal: Label::ok(Signal::None, p.clone()),
            task_value: Label::ok(
                TaskValue {
                    usd: 100.0,
                    band: ValueBand::B10To200,
                },
                p.clone(),
            ),
        };
        Facet {
            session_key: format!("s{i}"),
            user_key: "u".into(),
            agent: "claude-code".into(),
            agent_version: None,
            interactive: true,
            excluded_reason: None,
            telemetry: Telemetry::default(),
            labels: Some(labels),
            habits: None,
        }
    }

    fn results() -> Results {
        Results {
            tables: [
                "fig1_work_mode",
                "fig3_regression",
                "fig6_occupation",
                "personal_activity",
            ]
            .iter()
            .map(|id| agentstat_stats::results::Table {
                id: id.to_string(),
                ..Default::default()
            })
            .collect(),
            ..Default::default()
        }
    }

    fn summary() -> Summary {
        Summary::embedded().unwrap()
    }

    #[test]
    fn other_rules_and_mixed_classifiers_are_said_so() {
        let s = summary();
        let old = prov("heuristic", "heuristic", "heuristic-2020.01-1");
        let now = prov("heuristic", "heuristic", &s.rules_version);
        let facets = vec![facet(0, &old, None), facet(1, &now, None)];
        let mut r = results();
        add(&facets, None, Some(&s), &Threshold::personal(), &mut r);
        let n = r.sample.classifier_notes.join("\n");
        assert!(
            n.contains("Work mode: labelled by the heuristic rules (heuristic-2020.01-1); these rules are not the validated ones"),
            "{n}"
        );
        assert!(n.contains("(some of the sessions)"), "{n}");
        // Both verdicts reach the work-mode figure; a table resting on no label gets none.
        assert!(r.tables[0].caution.iter().any(|x| x.starts_with(
            "Work mode labels by the heuristic rules (heuristic-2020.01-1) are not validated here"
        )));
        assert!(r.tables[0]
            .caution
            .iter()
            .any(|x| x.contains("read figures by work mode as rough")));
        assert!(r.tables[3].caution.is_empty());
        // Applying twice adds no second table note.
        let before = r.tables[0].caution.len();
        add(&facets, None, Some(&s), &Threshold::personal(), &mut r);
        assert_eq!(r.tables[0].caution.len(), before);
    }

    #[test]
    fn a_model_of_your_own_is_quoted_with_its_own_cv_and_low_confidence_is_flagged() {
        let m = Model::from_bytes(agentstat_learn::EMBEDDED_MODEL, "embedded").unwrap();
        let mut own = m.clone();
        own.file_id = Some("learned-0123456789ab".into());
        assert_ne!(own.id(), m.id());
        let p = prov("learned", &own.id(), "f");
        let facets: Vec<Facet> = (0..10)
            .map(|i| facet(i, &p, Some(if i < 7 { 0.3 } else { 0.9 })))
            .collect();
        let mut r = results();
        add(
            &facets,
            Some(&own),
            Some(&summary()),
            &Threshold::personal(),
            &mut r,
        );
        let n = r.sample.classifier_notes.join("\n");
        let cv = &own.facet(LearnedFacet::WorkMode).unwrap().cv;
        assert!(
            n.contains(&format!(
                "Work mode: labelled by your model {}; its own training cross-validation (person-grouped, {} ratings) gives {} exact",
                own.id(),
                cv.n,
                pct(cv.learned_exact)
            )),
            "{n}"
        );
        assert!(
            n.contains(
                "Most learned expertise labels (70%) have a predicted probability below 0.5"
            ),
            "{n}"
        );
        assert!(
            r.tables[1]
                .caution
                .iter()
                .any(|x| x.starts_with("Most learned expertise labels")),
            "{:?}",
            r.tables[1].caution
        );
        let wm = r
            .sample
            .label_trust
            .iter()
            .find(|t| t.facet == "work_mode")
            .unwrap();
        assert_eq!(
            (wm.classifier.as_str(), wm.source.as_str()),
            ("own_model", own.id().as_str())
        );
        assert_eq!(wm.agreement.as_ref().unwrap().basis, "own_training_cv");
        let fm = own.facet(LearnedFacet::WorkMode).unwrap();
        let want = if fm.spec == agentstat_learn::train::CONSTANT {
            Some("constant")
        } else if cv.learned_exact <= cv.constant_exact {
            Some("no_better_than_constant")
        } else if cv.learned_exact < agentstat_learn::summary::TRUST_EXACT {
            Some("low")
        } else {
            None
        };
        assert_eq!(wm.rough.as_deref(), want);
        assert_eq!(
            r.tables[0]
                .caution
                .iter()
                .any(|x| x.starts_with("Work mode: your model")),
            want.is_some()
        );
        // Without the file, its figures are not known.
        let mut r = results();
        add(
            &facets,
            None,
            Some(&summary()),
            &Threshold::personal(),
            &mut r,
        );
        assert!(r.sample.classifier_notes.join("\n").contains(
            "other than the embedded one; its agreement with careful raters is not known here"
        ));
    }

    #[test]
    fn team_mode_names_no_classifier_of_fewer_than_k_people() {
        let s = summary();
        let now = prov("heuristic", "heuristic", &s.rules_version);
        let llm = prov("anthropic", "claude-x", "p-1");
        let mut facets: Vec<Facet> = (0..3)
            .map(|i| {
                let mut f = facet(i, &now, None);
                f.user_key = format!("u{i}");
                f
            })
            .collect();
        facets.push(facet(9, &llm, None));
        let mut r = results();
        add(&facets, None, Some(&s), &Threshold::new(3), &mut r);
        let n = r.sample.classifier_notes.join("\n");
        assert!(!n.contains("anthropic") && !n.contains("claude-x"), "{n}");
        assert!(
            n.contains(
                "Work mode: labelled by classifiers used by fewer than 3 people (not named)"
            ),
            "{n}"
        );
        assert!(
            n.contains("Work mode: labelled by the heuristic rules; exact agreement"),
            "{n}"
        );
        assert!(!format!("{:?}", r.sample.label_trust).contains("anthropic"));
        // With a threshold of 1 (or in personal mode) it is named.
        let mut r = results();
        add(&facets, None, Some(&s), &Threshold::new(1), &mut r);
        assert!(r
            .sample
            .classifier_notes
            .join("\n")
            .contains("an LLM (anthropic / claude-x)"));
    }

    #[test]
    fn without_a_summary_nothing_validated_is_quoted() {
        let p = prov(
            "heuristic",
            "heuristic",
            agentstat_classify::heuristic::RULES_VERSION,
        );
        let mut r = results();
        add(
            &[facet(0, &p, None)],
            None,
            None,
            &Threshold::personal(),
            &mut r,
        );
        let n = r.sample.classifier_notes.join("\n");
        assert!(!n.contains("% ["), "{n}");
        assert!(n.contains("this build carries no validated figures"), "{n}");
    }
}
