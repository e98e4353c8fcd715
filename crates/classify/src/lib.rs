//! Classification: turn a normalized session (plus its telemetry) into rubric labels.
//!
//! Every backend — the offline heuristic (which the default learned classifier in
//! `agentstat-learn` builds on) and the LLM backends — sits
//! behind [`Backend`]. Transcript text only reaches a remote backend after redaction
//! (`agentstat-redact`), through the rendering in `render`.

use agentstat_facets::{Labels, Telemetry};
use agentstat_session::Session;

/// What a backend classifies: one session and its telemetry.
pub struct SessionInput<'a> {
    pub session: &'a Session,
    pub telemetry: &'a Telemetry,
}

/// One piece of evidence behind a label, for `agentstat explain` (shown locally only; never
/// stored in facets).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Evidence {
    /// Which facet: `work_mode`, `expertise`, `outcome`, …
    pub facet: String,
    /// What was observed and how it moved the label.
    pub note: String,
}

/// A classifier backend.
pub trait Backend: Send + Sync {
    /// Short backend name (`heuristic`, `anthropic`, `anthropic-batch`, `openai`).
    fn name(&self) -> &str;
    /// Classify one session on every facet. A failure on one facet is recorded inside the
    /// returned `Labels` (`Label::error`); `Err` is for failures of the whole session.
    fn classify(&self, input: &SessionInput) -> Result<Labels, ClassifyError>;
    /// Like `classify`, also returning the evidence behind each label. Backends that cannot
    /// explain return no evidence.
    fn explain(&self, input: &SessionInput) -> Result<(Labels, Vec<Evidence>), ClassifyError> {
        Ok((self.classify(input)?, Vec::new()))
    }
    /// `classify` for a session whose heuristic features are already extracted: `extract`
    /// extracts them once for the habits and the classifier, and the offline backends read
    /// them instead of extracting again. The same labels as `classify`; the default ignores
    /// the features.
    fn classify_extracted(
        &self,
        input: &SessionInput,
        _features: &heuristic::features::Features,
    ) -> Result<Labels, ClassifyError> {
        self.classify(input)
    }
    /// Called once with every session before `classify` is called on each. Backends that work
    /// in bulk (the Message Batches backend) submit all calls here and fill their cache; the
    /// default does nothing.
    fn prepare(&self, _inputs: &[SessionInput]) -> Result<(), ClassifyError> {
        Ok(())
    }
    /// A short line on the calls made so far (requests, in flight, retries, time waited), for
    /// progress on stderr while a slow server is waited on; `None` for offline backends.
    fn progress(&self) -> Option<String> {
        None
    }
}

/// A failure to classify a whole session.
#[derive(Debug)]
pub struct ClassifyError(pub String);

impl std::fmt::Display for ClassifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ClassifyError {}

pub mod cache;
pub mod heuristic;
pub mod llm;
pub mod render;
pub mod value;
