//! The study's analyses (rubric §5) as functions of a facets table, producing `Results`.
