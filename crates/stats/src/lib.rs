//! Privacy-preserving statistics over the facets table: distinct-user thresholds, descriptive
//! statistics, fixed-effect regressions with clustered standard errors, and the study's
//! analyses. Depends on `agentstat-facets` only: it can never see a transcript.
//!
//! Entry point: [`analyses::analyse`] (facets → [`results::Results`], every cell through the
//! distinct-user threshold); `docs/RESULTS_SCHEMA.md` documents the output.

pub mod agreement;
pub mod analyses;
pub mod descriptive;
pub mod dp;
pub mod personal;
pub mod privacy;
pub mod regression;
pub mod results;
pub mod rounding;
