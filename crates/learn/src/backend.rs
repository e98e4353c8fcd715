//! The `learned` classifier backend: the heuristic's labels, with the facets the model takes
//! over (those where it beat the heuristic in person-grouped cross-validation) replaced by the
//! model's prediction and its probability.

use crate::facet::LearnedFacet;
use crate::features::{self, FEATURES_VERSION};
use crate::model::{Model, ModelError};
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
}

impl LearnedBackend {
    pub fn new(model: Model) -> Self {
        let id = model.id();
        LearnedBackend { model, id }
    }

    /// The model embedded in this binary.
    pub fn embedded() -> Result<Self, ModelError> {
        Ok(Self::new(Model::from_bytes(EMBEDDED_MODEL, "the embedded model")?))
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

    fn run(&self, input: &SessionInput) -> (Labels, Vec<Evidence>) {
        let e = features::extract(input.session, input.telemetry);
        let z = self.model.standardise(&e.x);
        let mut labels = e.heuristic;
        let mut ev = Vec::new();
        for fm in &self.model.facets {
            let Some(f) = LearnedFacet::by_name(&fm.facet) else { continue };
            if !fm.use_learned {
                continue;
            }
            let (c, p) = fm.predictor.predict(&z[fm.spec.set.range()]);
            f.set(&mut labels, c, p, self.provenance());
            ev.push(Evidence {
                facet: f.name().into(),
                note: format!(
                    "learned model: {} (p = {p:.2}; grouped CV exact {:.0}% vs heuristic {:.0}%)",
                    fm.classes[c],
                    fm.cv.learned_exact * 100.0,
                    fm.cv.heuristic_exact * 100.0
                ),
            });
        }
        (labels, ev)
    }
}

impl Backend for LearnedBackend {
    fn name(&self) -> &str {
        "learned"
    }

    fn classify(&self, input: &SessionInput) -> Result<Labels, ClassifyError> {
        Ok(self.run(input).0)
    }

    fn explain(&self, input: &SessionInput) -> Result<(Labels, Vec<Evidence>), ClassifyError> {
        Ok(self.run(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

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
        assert!(EMBEDDED_MODEL.len() < 5_000_000, "the embedded model stays under 5 MB");
        assert!(!b.model().facets.is_empty());
    }
}
