//! The model file: what `agentstat train` writes and the learned backend reads.
//!
//! Layout (all little-endian):
//! `AGSTLRN\0` (8 bytes) · format version (u32) · payload length (u64) · payload (JSON of
//! [`Model`]) · BLAKE3 of everything before (32 bytes).
//!
//! Reading checks, in order, and names the file in every error: length, magic, format version,
//! checksum (corrupt or truncated files), the JSON, then that the model fits this build: the
//! feature definitions ([`FEATURES_VERSION`], the number of features) and every facet with
//! this build's classes. Writing goes to a temporary file renamed into place: nothing is left
//! half-written.

use crate::facet::LearnedFacet;
use crate::features::FEATURES_VERSION;
use crate::fit::{Predictor, Spec};
use serde::{Deserialize, Serialize};
use std::path::Path;

const MAGIC: &[u8; 8] = b"AGSTLRN\0";
/// Version of the file layout and of [`Model`]'s fields.
pub const FORMAT_VERSION: u32 = 1;

/// A trained model: one predictor per facet, with the per-facet choice of classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub features_version: String,
    /// Number of features (structural + text) the model was trained on.
    pub dim: usize,
    /// Standardisation: x' = (x - mean) / scale.
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub seed: u64,
    /// Labelled sessions (distinct) and ratings used.
    pub sessions: usize,
    pub ratings: usize,
    /// BLAKE3 of the training labels as read (sorted ratings), hex.
    pub labels_digest: String,
    pub facets: Vec<FacetModel>,
    /// The id of the file this model was read from (its checksum): floats parsed back from
    /// JSON may differ from the written ones in the last bit, so a re-encoded model could hash
    /// differently; the file's own checksum is its identity.
    #[serde(skip)]
    pub file_id: Option<String>,
}

/// One facet's model and the grouped cross-validation that chose it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetModel {
    pub facet: String,
    /// Class names in index order (must equal this build's).
    pub classes: Vec<String>,
    pub spec: Spec,
    /// Whether the learned label replaces the heuristic's (it beat the heuristic in
    /// person-grouped cross-validation on the training labels).
    pub use_learned: bool,
    pub cv: CvSummary,
    pub predictor: Predictor,
}

/// Person-grouped cross-validation on the training labels (the model-selection folds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    /// Ratings scored.
    pub n: usize,
    /// Exact agreement of the chosen spec, of the heuristic and of the constant classifier.
    pub learned_exact: f64,
    pub heuristic_exact: f64,
    pub constant_exact: f64,
    /// Within-one agreement (scales only).
    pub learned_within: Option<f64>,
    pub heuristic_within: Option<f64>,
}

/// A model-file problem; the message names the file.
#[derive(Debug)]
pub struct ModelError(pub String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ModelError {}

fn id_of_checksum(sum: &[u8]) -> String {
    let hex: String = sum.iter().take(6).map(|x| format!("{x:02x}")).collect();
    format!("learned-{hex}")
}

impl Model {
    /// The encoded file contents (deterministic: same model, same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = serde_json::to_vec(self).expect("a model serialises (finite numbers)");
        let mut out = Vec::with_capacity(payload.len() + 52);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&payload);
        let sum = blake3::hash(&out);
        out.extend_from_slice(sum.as_bytes());
        out
    }

    /// Decode and check a model; `name` is how errors refer to its source.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Model, ModelError> {
        let e = |m: String| ModelError(format!("{name}: {m}"));
        if bytes.len() < 20 || &bytes[..8] != MAGIC {
            return Err(e("not an agentstat model file (no AGSTLRN header)".into()));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or([0; 4]));
        if version != FORMAT_VERSION {
            return Err(e(format!(
                "model format version {version}, this agentstat reads version {FORMAT_VERSION}: \
                 retrain it with this agentstat (agentstat train)"
            )));
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or([0; 8]));
        let want = 20u64.saturating_add(len).saturating_add(32);
        if (bytes.len() as u64) < want {
            return Err(e(format!(
                "truncated model file ({} bytes, the header announces {want})",
                bytes.len()
            )));
        }
        if (bytes.len() as u64) > want {
            return Err(e(format!(
                "{} unexpected bytes after the model's checksum",
                bytes.len() as u64 - want
            )));
        }
        let body = &bytes[..20 + len as usize];
        let sum = &bytes[20 + len as usize..];
        if blake3::hash(body).as_bytes() != sum {
            return Err(e("checksum mismatch: the model file is corrupt".into()));
        }
        let mut model: Model = serde_json::from_slice(&body[20..])
            .map_err(|x| e(format!("unreadable model payload: {x}")))?;
        model.check().map_err(e)?;
        model.file_id = Some(id_of_checksum(sum));
        Ok(model)
    }

    /// Read a model file.
    pub fn read(path: &Path) -> Result<Model, ModelError> {
        let bytes = std::fs::read(path)
            .map_err(|x| ModelError(format!("{}: cannot read model: {x}", path.display())))?;
        Model::from_bytes(&bytes, &path.display().to_string())
    }

    /// Write a model file atomically (temporary file, then rename).
    pub fn write(&self, path: &Path) -> Result<(), ModelError> {
        let e =
            |x: std::io::Error| ModelError(format!("{}: cannot write model: {x}", path.display()));
        let tmp = path.with_extension("tmp-agentstat");
        std::fs::write(&tmp, self.to_bytes()).map_err(e)?;
        std::fs::rename(&tmp, path).map_err(|x| {
            let _ = std::fs::remove_file(&tmp);
            e(x)
        })
    }

    /// Short identity of the model (provenance, cache keys): `learned-` + 12 hex digits of the
    /// encoded model's checksum.
    pub fn id(&self) -> String {
        if let Some(id) = &self.file_id {
            return id.clone();
        }
        let b = self.to_bytes();
        id_of_checksum(&b[b.len() - 32..])
    }

    /// That the model fits this build's features and facets.
    fn check(&self) -> Result<(), String> {
        if self.features_version != FEATURES_VERSION {
            return Err(format!(
                "model trained on features {:?}, this agentstat computes {FEATURES_VERSION:?}: \
                 retrain it (agentstat train)",
                self.features_version
            ));
        }
        let dim = crate::features::dim();
        if self.dim != dim || self.mean.len() != dim || self.scale.len() != dim {
            return Err(format!(
                "model has {} features, this agentstat computes {dim}: retrain it",
                self.dim
            ));
        }
        let mut seen = Vec::new();
        for fm in &self.facets {
            let Some(f) = LearnedFacet::by_name(&fm.facet) else {
                return Err(format!(
                    "model is for other facets: unknown facet {:?}",
                    fm.facet
                ));
            };
            if seen.contains(&f) {
                return Err(format!("model lists facet {:?} twice", fm.facet));
            }
            seen.push(f);
            let classes: Vec<String> = f.classes().iter().map(|s| s.to_string()).collect();
            if fm.classes != classes {
                return Err(format!(
                    "model is for other facets: the classes of {:?} differ from this agentstat's",
                    fm.facet
                ));
            }
            let p = &fm.predictor;
            if p.width() != fm.spec.set.range().len()
                || p.classes().iter().any(|c| *c >= classes.len())
                || p.classes().is_empty()
            {
                return Err(format!("model's predictor for {:?} is malformed", fm.facet));
            }
            let ok = match p {
                Predictor::Multinomial { classes, w, b } => {
                    w.len() == classes.len()
                        && b.len() == classes.len()
                        && w.iter().all(|r| r.len() == p.width())
                }
                Predictor::Ordinal { classes, w, b } => {
                    w.len() + 1 == classes.len()
                        && b.len() == w.len()
                        && w.iter().all(|r| r.len() == p.width())
                }
            };
            if !ok {
                return Err(format!("model's predictor for {:?} is malformed", fm.facet));
            }
        }
        if seen.is_empty() {
            return Err("model has no facets".into());
        }
        Ok(())
    }

    pub fn facet(&self, f: LearnedFacet) -> Option<&FacetModel> {
        self.facets.iter().find(|m| m.facet == f.name())
    }

    /// Standardise a feature vector.
    pub fn standardise(&self, x: &[f64]) -> Vec<f64> {
        self.standardise_range(x, 0..x.len().min(self.mean.len()))
    }

    /// Standardise features `r` of a vector (the same values as [`Model::standardise`]'s).
    pub fn standardise_range(&self, x: &[f64], r: std::ops::Range<usize>) -> Vec<f64> {
        x[r.clone()]
            .iter()
            .zip(self.mean[r.clone()].iter().zip(&self.scale[r]))
            .map(|(x, (m, s))| (x - m) / s)
            .collect()
    }
}
