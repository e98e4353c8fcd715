//! The `learned` classifier backend: the heuristic's labels, with the facets the model takes
//! over (those where it beat the heuristic in person-grouped cross-validation) replaced by the
//! model's prediction and its probability.

use crate::facet::LearnedFacet;
use crate::features::{self, Blocks, FEATURES_VERSION};
use crate::model::{Model, ModelError};
use agentstat_classify::heuristic::features as hf;
use agentstat_classify::{Backend, ClassifyError, Evidence, SessionInput};
use agentstat_facets::{Labels, Provenance};

/// The default model, trained from the repository's reference labels
/// (`data/labels/reference.jsonl`; regenerate with `scripts/train-default-model.sh`).
pub static EMBEDDED_MODEL: &[u8] = include_bytes!("../model/default.bin");

/// The learned classifier.
#[derive(Debug, Clone)]
pub struct LearnedBackend {
    model: Model,
    id: String,
    /// What predictions read, worked out once at load: the facets the model takes over (index
    /// into `model.facets`), the features their predictors read (one range covering them) and
    /// the optional feature blocks in it. Nothing else is computed per session.
    used: Vec<(LearnedFacet, usize)>,
    reads: std::ops::Range<usize>,
    blocks: Blocks,
}

impl LearnedBackend {
    pub fn new(model: Model) -> Self {
        let id = model.id();
        let used: Vec<(LearnedFacet, usize)> = model
            .facets
            .iter()
            .enumerate()
            .filter(|(_, fm)| fm.use_learned)
            .filter_map(|(i, fm)| Some((LearnedFacet::by_name(&fm.facet)?, i)))
            .collect();
        let reads = used
            .iter()
            .map(|(_, i)| model.facets[*i].spec.set.range())
            .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
            .unwrap_or(0..0);
        let blocks = if reads.is_empty() {
            Blocks::NONE
        } else {
            Blocks::reading(reads.clone())
        };
        LearnedBackend {
            model,
            id,
            used,
            reads,
            blocks,
        }
    }

    /// The model embedded in this binary.
    pub fn embedded() -> Result<Self, ModelError> {
        Ok(Self::new(Model::from_bytes(
            EMBEDDED_MODEL,
            "the embedded model",
        )?))
    }

    /// A model file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ModelError> {
        Ok(Self::new(Model::read(path)?))
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// `learned-<checksum prefix>`: provenance model id and cache identity.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            backend: "learned".into(),
            model: self.id.clone(),
            prompt_version: FEATURES_VERSION.into(),
        }
    }

    /// The optional feature blocks this model's predictions read.
    pub fn blocks(&self) -> Blocks {
        self.blocks
    }

    /// Labels, and with `explain` the evidence of the facets the model set.
    fn run(
        &self,
        input: &SessionInput,
        f: &hf::Features,
        explain: bool,
    ) -> (Labels, Vec<Evidence>) {
        let e = features::extract_from(f, input.session, input.telemetry, self.blocks);
        let z = self.model.standardise_range(&e.x, self.reads.clone());
        let mut labels = e.heuristic;
        let mut ev = Vec::new();
        for (facet, i) in &self.used {
            let fm = &self.model.facets[*i];
            let r = fm.spec.set.range();
            let (c, p) = fm
                .predictor
                .predict(&z[r.start - self.reads.start..r.end - self.reads.start]);
            facet.set(&mut labels, c, p, self.provenance());
            if explain {
                ev.push(Evidence {
                    facet: facet.name().into(),
                    note: format!(
                        "learned model: {} (p = {p:.2}; grouped CV exact {:.0}% vs heuristic {:.0}%)",
                        fm.classes[c],
                        fm.cv.learned_exact * 100.0,
                        fm.cv.heuristic_exact * 100.0
                    ),
                });
            }
        }
        (labels, ev)
    }
}

impl Backend for LearnedBackend {
    fn name(&self) -> &str {
        "learned"
    }

    fn classify(&self, input: &SessionInput) -> Result<Labels, ClassifyError> {
        Ok(self.run(input, &hf::extract(input.session), false).0)
    }

    fn explain(&self, input: &SessionInput) -> Result<(Labels, Vec<Evidence>), ClassifyError> {
        Ok(self.run(input, &hf::extract(input.session), true))
    }

    fn classify_extracted(
        &self,
        input: &SessionInput,
        f: &hf::Features,
    ) -> Result<Labels, ClassifyError> {
        Ok(self.run(input, f, false).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    /// A session with prompts, edits and a test run: every feature block has values.
    fn session() -> agentstat_session::Session {
        use agentstat_session::{Event, HumanTurn};
        let mut s = agentstat_session::Session {
            id: "s1".into(),
            project: Some("/home/u/src/app".into()),
            ..Default::default()
        };
        for t in [
            "the parser fails on utf 8 input, please fix it and add a test for the edge case",
            "yes",
            "still broken: why does the lexer drop the last token? check that the tests pass",
            "thanks, looks good. now write the docs",
        ] {
            s.events.push(Event::Human(HumanTurn {
                text: t.into(),
                ..Default::default()
            }));
        }
        s
    }

    /// The prediction as first written: every feature, the whole vector standardised.
    fn reference(
        model: &Model,
        s: &agentstat_session::Session,
        t: &agentstat_facets::Telemetry,
    ) -> String {
        let e = features::extract(s, t);
        let z = model.standardise(&e.x);
        let mut labels = e.heuristic;
        let b = LearnedBackend::new(model.clone());
        for fm in model.facets.iter().filter(|fm| fm.use_learned) {
            let f = LearnedFacet::by_name(&fm.facet).unwrap();
            let (c, p) = fm.predictor.predict(&z[fm.spec.set.range()]);
            f.set(&mut labels, c, p, b.provenance());
        }
        format!("{labels:?}")
    }

    #[test]
    fn predictions_from_the_features_read_equal_those_from_every_feature() {
        let s = session();
        let t = agentstat_facets::Telemetry::default();
        let input = SessionInput {
            session: &s,
            telemetry: &t,
        };
        let embedded = LearnedBackend::embedded().unwrap().model().clone();
        // The shipped model, one taking over every facet (every block read) and one taking
        // over only facets that read the rules (no optional block).
        let mut all = embedded.clone();
        all.facets.iter_mut().for_each(|fm| fm.use_learned = true);
        let mut rules = embedded.clone();
        rules
            .facets
            .iter_mut()
            .for_each(|fm| fm.use_learned = fm.spec.set == crate::fit::FeatureSet::Rules);
        let mut none = embedded.clone();
        none.facets.iter_mut().for_each(|fm| fm.use_learned = false);
        for (m, blocks) in [
            (&embedded, None),
            (&all, Some(Blocks::ALL)),
            (&rules, Some(Blocks::NONE)),
            (&none, Some(Blocks::NONE)),
        ] {
            let b = LearnedBackend::new(m.clone());
            if let Some(want) = blocks {
                assert_eq!(b.blocks(), want);
            }
            let got = b.classify(&input).unwrap();
            assert_eq!(format!("{got:?}"), reference(m, &s, &t));
            let f = hf::extract(&s);
            assert_eq!(
                format!("{:?}", b.classify_extracted(&input, &f).unwrap()),
                format!("{got:?}")
            );
        }
        assert!(
            format!("{:?}", LearnedBackend::new(all).classify(&input).unwrap())
                .contains("confidence: Some")
        );
    }

    #[test]
    fn the_embedded_model_loads_and_round_trips() {
        let b = LearnedBackend::embedded().expect("the embedded model is valid for this build");
        assert!(b.id().starts_with("learned-"));
        // The id is the file's checksum (floats read back from JSON may differ in the last
        // bit, so it is not recomputed from a re-encoding).
        let sum = &EMBEDDED_MODEL[EMBEDDED_MODEL.len() - 32..];
        let hex: String = sum.iter().take(6).map(|x| format!("{x:02x}")).collect();
        assert_eq!(b.id(), format!("learned-{hex}"));
        let again = Model::from_bytes(&b.model().to_bytes(), "re-encoded").unwrap();
        assert_eq!(again.facets.len(), b.model().facets.len());
        assert!(
            EMBEDDED_MODEL.len() < 5_000_000,
            "the embedded model stays under 5 MB"
        );
        assert!(!b.model().facets.is_empty());
    }
}
