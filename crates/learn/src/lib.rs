//! The learned classifier: features computed locally from a session (structure, telemetry, the
//! heuristic's rule outputs, hashed words), per-facet regularised logistic models (multinomial,
//! or ordinal for the scales) chosen by person-grouped cross-validation, the model file, the
//! `learned` backend, and the validation behind `agentstat validate` (docs/LEARNED.md,
//! docs/VALIDATION.md).

pub mod backend;
pub mod embed;
pub mod facet;
pub mod features;
pub mod fit;
pub mod labels;
pub mod lbfgs;
pub mod metrics;
pub mod model;
pub mod summary;
pub mod train;
pub mod validate;

pub use backend::{LearnedBackend, EMBEDDED_MODEL};
pub use facet::LearnedFacet;
pub use labels::{load as load_labels, Rating};
pub use model::{Model, ModelError};
pub use summary::{Summary, EMBEDDED_SUMMARY};
pub use train::{train, Example, TrainOptions};
pub use validate::{validate, Validation};
