//! Fixed-effect OLS / linear probability models with CR1 cluster-robust standard errors.
