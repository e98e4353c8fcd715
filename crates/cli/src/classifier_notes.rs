//! The report's sentences about the learned classifier: which facets its labels replace, their
//! validated agreement with careful raters, and which figures rest mostly on low-confidence
//! labels (a note on each such table). Heuristic and LLM labels get no notes.

use agentstat_facets::Facet;
use agentstat_learn::{LearnedFacet, Model};
use agentstat_stats::results::Results;

/// A learned label below this probability is low-confidence.
pub const LOW: f64 = 0.5;

/// Add the notes to `results`; `model` is the model that labelled the sessions, when known
/// (its validated agreement is quoted only if its id matches the labels' provenance).
pub fn add(facets: &[Facet], model: Option<&Model>, results: &mut Results) {
    let mut used = Vec::new();
    let mut low_facets = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for f in LearnedFacet::ALL {
        let (mut n, mut low) = (0u64, 0u64);
        for l in facets.iter().filter_map(|x| x.labels.as_ref()) {
            let (prov, conf) = f.meta(l);
            if prov.backend == "learned" {
                n += 1;
                ids.insert(prov.model.clone());
                low += u64::from(conf.is_some_and(|p| p < LOW));
            }
        }
        if n > 0 {
            used.push(f);
            if low * 2 > n {
                low_facets.push((f, low as f64 / n as f64));
            }
        }
    }
    if used.is_empty() {
        return;
    }
    let model = model.filter(|m| ids.len() == 1 && ids.contains(&m.id()));
    let mut s = format!(
        "Learned labels replace the heuristic's for {}; the other facets keep the heuristic's labels.",
        used.iter().map(|f| f.title()).collect::<Vec<_>>().join(", ")
    );
    if let Some(m) = model {
        let parts: Vec<String> = used
            .iter()
            .filter_map(|f| m.facet(*f))
            .map(|fm| {
                // A model that is the constant classifier says so: its label is the same for
                // every session, so figures by that facet say nothing about the sessions.
                let constant = if fm.spec == agentstat_learn::train::CONSTANT {
                    ", the most common label for every session"
                } else {
                    ""
                };
                format!(
                    "{} {:.0}% (heuristic {:.0}%{constant})",
                    fm.facet.replace('_', " "),
                    fm.cv.learned_exact * 100.0,
                    fm.cv.heuristic_exact * 100.0
                )
            })
            .collect();
        s.push_str(&format!(
            " Exact agreement with careful raters on people left out of training (the \
             person-grouped cross-validation that chose these models, over {} labelled \
             sessions; docs/VALIDATION.md has the nested validation): {}.",
            m.sessions,
            parts.join(", ")
        ));
    }
    results.sample.classifier_notes.push(s);
    for (f, share) in &low_facets {
        let note = format!(
            "Most learned {} labels ({:.0}%) have a predicted probability below {LOW}: figures by {} rest mostly on low-confidence labels.",
            f.title(),
            share * 100.0,
            f.title()
        );
        for t in results.tables.iter_mut() {
            if f.table_words().iter().any(|w| t.id.contains(w)) && !t.notes.contains(&note) {
                t.notes.push(note.clone());
            }
        }
        results.sample.classifier_notes.push(note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_facets::*;

    fn facet(i: usize, conf: f64) -> Facet {
        let h = Provenance {
            backend: "heuristic".into(),
            model: "heuristic".into(),
            prompt_version: "r".into(),
        };
        let l = Provenance {
            backend: "learned".into(),
            model: "learned-abc".into(),
            prompt_version: "f".into(),
        };
        let labels = Labels {
            work_mode: Label::ok(WorkMode::Build, h.clone()),
            codebase_relation: Label::ok(CodebaseRelation::Modify, h.clone()),
            decisions: Label::ok(Decisions::default(), h.clone()),
            expertise: Label::ok(Expertise::Advanced, l.clone()).with_confidence(conf),
            user_profile: Label::ok(UserProfile::Unclear, h.clone()),
            work_performed: Label::ok(Occupation::ComputerMath, h.clone()),
            outcome: Label::ok(Outcome::Succeeded, l.clone()).with_confidence(0.9),
            success_signal: Label::ok(Signal::S4, h.clone()),
            failure_signal: Label::ok(Signal::None, h.clone()),
            task_value: Label::ok(
                TaskValue {
                    usd: 100.0,
                    band: ValueBand::B10To200,
                },
                h,
            ),
        };
        Facet {
            session_key: format!("s{i}"),
            user_key: format!("u{i}"),
            agent: "claude-code".into(),
            agent_version: None,
            interactive: true,
            excluded_reason: None,
            telemetry: Telemetry::default(),
            labels: Some(labels),
            habits: None,
        }
    }

    fn table(id: &str) -> agentstat_stats::results::Table {
        agentstat_stats::results::Table {
            id: id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_learned_facets_and_flags_low_confidence_figures() {
        let facets: Vec<Facet> = (0..10)
            .map(|i| facet(i, if i < 7 { 0.3 } else { 0.8 }))
            .collect();
        let mut r = Results {
            tables: vec![
                table("fig2_success_by_expertise"),
                table("fig4_value_by_mode"),
            ],
            ..Default::default()
        };
        add(&facets, None, &mut r);
        let notes = r.sample.classifier_notes.join(" ");
        assert!(
            notes.contains("Learned labels replace the heuristic's for expertise, outcome"),
            "{notes}"
        );
        assert!(
            notes.contains("Most learned expertise labels (70%)"),
            "{notes}"
        );
        assert!(!notes.contains("Most learned outcome"), "{notes}");
        assert_eq!(
            r.tables[0].notes.len(),
            1,
            "the expertise figure is flagged"
        );
        assert!(
            r.tables[1].notes.is_empty(),
            "value by mode does not use expertise"
        );
        // Applying twice adds no second table note.
        add(&facets, None, &mut r);
        assert_eq!(r.tables[0].notes.len(), 1);

        // Heuristic-only labels: no notes.
        let mut plain = Results::default();
        let mut f = facet(0, 0.1);
        let l = f.labels.as_mut().unwrap();
        l.expertise.provenance.backend = "heuristic".into();
        l.outcome.provenance.backend = "heuristic".into();
        add(&[f], None, &mut plain);
        assert!(plain.sample.classifier_notes.is_empty());
    }

    #[test]
    fn a_constant_model_is_named_as_such() {
        let m = Model::from_bytes(agentstat_learn::EMBEDDED_MODEL, "embedded").unwrap();
        let constant = m.facet(LearnedFacet::UserProfile).unwrap().spec == agentstat_learn::train::CONSTANT;
        let facets: Vec<Facet> = (0..3)
            .map(|i| {
                let mut f = facet(i, 0.9);
                let l = f.labels.as_mut().unwrap();
                l.expertise.provenance.model = m.id();
                l.outcome.provenance.model = m.id();
                l.user_profile = Label::ok(UserProfile::Group(Occupation::ComputerMath), l.outcome.provenance.clone())
                    .with_confidence(0.86);
                f
            })
            .collect();
        let mut r = Results::default();
        add(&facets, Some(&m), &mut r);
        let notes = r.sample.classifier_notes.join(" ");
        assert!(notes.contains("user profile "), "{notes}");
        assert_eq!(notes.contains("the most common label for every session"), constant, "{notes}");
        assert!(!notes.contains("expertise 0%"), "{notes}");
    }
}
