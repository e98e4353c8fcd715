//! Privacy-preserving statistics over the facets table: distinct-user thresholds, descriptive
//! statistics, fixed-effect regressions with clustered standard errors, and the study's
//! analyses. Depends on `agentstat-facets` only: it can never see a transcript.

pub mod analyses;
pub mod descriptive;
pub mod dp;
pub mod privacy;
pub mod regression;
pub mod results;
