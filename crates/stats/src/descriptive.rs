//! Descriptive statistics: shares with user-clustered intervals, quantiles, geometric means.
