//! Transcript rendering for classifiers (rubric §3): turns in order, middle-truncated.
