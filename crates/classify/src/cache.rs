//! Persistent classification cache keyed by rendered-input hash, classifier, prompt version and model.
