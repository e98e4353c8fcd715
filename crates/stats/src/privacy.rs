//! Distinct-user thresholds and cell suppression.
