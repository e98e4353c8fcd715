//! Optional differential privacy for counts, shares and means (issue 4, item 5).
//!
//! User-level privacy: each user's contribution is first bounded to at most `m` sessions
//! ([`bound_contributions`]), so adding or removing one person changes a count by at most `m`
//! and a sum of values clamped to `[lower, upper]` by at most `m · max(|lower|, |upper|)`.
//! Noise comes from OpenDP's vetted Laplace mechanisms (discrete Laplace for integer counts),
//! never from a sampler written here; each release spends the ε that OpenDP's own privacy map
//! reports, recorded in a [`Budget`] that becomes `results.privacy.dp` (the ledger). Releases
//! beyond the total budget are refused. Regressions are not noised: they stay behind the
//! distinct-user threshold.
//!
//! The noise functions need the cargo feature `dp` (OpenDP, compiled only on request); the
//! budget ledger and contribution bounding are always available. With `dp` alone OpenDP draws
//! its randomness from `rand::thread_rng`; `dp-openssl` switches it to OpenSSL's
//! `RAND_priv_bytes`, the path OpenDP documents as secure.

use crate::results::DpLedger;

/// Whether OpenDP draws its noise from OpenSSL's `RAND_priv_bytes` (cargo feature
/// `dp-openssl`), the path OpenDP documents as secure, rather than `rand::thread_rng`.
pub const SECURE_RANDOMNESS: bool = cfg!(feature = "dp-openssl");

/// The randomness source, as recorded in the ledger (so a release says what it rests on).
pub const RANDOMNESS: &str = if SECURE_RANDOMNESS {
    "randomness: OpenSSL RAND_priv_bytes"
} else {
    "randomness: rand::thread_rng (not OpenDP's secure path; build with --features dp-openssl for a release)"
};
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

/// Why a DP release was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum DpError {
    /// The release would spend more than the remaining budget.
    BudgetExceeded {
        what: String,
        wanted: f64,
        remaining: f64,
    },
    /// Invalid parameters (non-positive ε, empty or inverted bounds, …).
    Invalid(String),
    /// OpenDP refused the measurement.
    OpenDp(String),
}

impl fmt::Display for DpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DpError::BudgetExceeded { what, wanted, remaining } => write!(
                f,
                "DP budget exceeded releasing {what}: needs ε={wanted}, {remaining} left; raise the total ε or release fewer statistics"
            ),
            DpError::Invalid(m) => write!(f, "invalid DP parameters: {m}"),
            DpError::OpenDp(m) => write!(f, "OpenDP: {m}"),
        }
    }
}

impl std::error::Error for DpError {}

/// A total privacy budget (pure ε-DP, sequential composition) and the ledger of what it paid for.
#[derive(Debug, Clone)]
pub struct Budget {
    ledger: DpLedger,
}

impl Budget {
    /// A budget of `total_epsilon` for user-level releases with at most `max_sessions_per_user`
    /// sessions per user.
    pub fn new(total_epsilon: f64, max_sessions_per_user: u32) -> Result<Budget, DpError> {
        if !(total_epsilon.is_finite() && total_epsilon > 0.0) {
            return Err(DpError::Invalid(format!(
                "total ε must be > 0, got {total_epsilon}"
            )));
        }
        if max_sessions_per_user == 0 {
            return Err(DpError::Invalid("max sessions per user must be ≥ 1".into()));
        }
        Ok(Budget {
            ledger: DpLedger {
                mechanism: format!(
                    "OpenDP 0.16 Laplace (discrete for counts), user-level, pure ε-DP; {}",
                    RANDOMNESS
                ),
                total_epsilon,
                max_sessions_per_user,
                entries: Vec::new(),
            },
        })
    }

    /// ε spent so far.
    pub fn spent(&self) -> f64 {
        self.ledger.entries.iter().map(|e| e.1).sum()
    }

    /// ε still available.
    pub fn remaining(&self) -> f64 {
        (self.ledger.total_epsilon - self.spent()).max(0.0)
    }

    /// Per-user contribution bound `m`.
    pub fn max_sessions_per_user(&self) -> u32 {
        self.ledger.max_sessions_per_user
    }

    /// Checks that a release costing `eps` fits in the remaining budget (done before any
    /// noise is drawn; callers may use it to plan releases).
    pub fn check(&self, what: &str, eps: f64) -> Result<(), DpError> {
        if !(eps.is_finite() && eps > 0.0) {
            return Err(DpError::Invalid(format!(
                "ε for {what} must be > 0, got {eps}"
            )));
        }
        // Tolerate float rounding in sums of equal shares.
        if eps > self.remaining() * (1.0 + 1e-12) {
            return Err(DpError::BudgetExceeded {
                what: what.to_string(),
                wanted: eps,
                remaining: self.remaining(),
            });
        }
        Ok(())
    }

    #[cfg_attr(not(feature = "dp"), allow(dead_code))]
    fn record(&mut self, what: &str, eps: f64) {
        self.ledger.entries.push((what.to_string(), eps));
    }

    /// The ledger for `results.privacy.dp`.
    pub fn ledger(&self) -> &DpLedger {
        &self.ledger
    }

    pub fn into_ledger(self) -> DpLedger {
        self.ledger
    }
}

/// Contribution bounding: the row indices kept when each user keeps at most `max_per_user`
/// rows — the first ones in row order (a choice that depends only on that user's own rows).
pub fn bound_contributions<U: Hash + Eq>(users: &[U], max_per_user: u32) -> Vec<usize> {
    let mut seen: HashMap<&U, u32> = HashMap::new();
    users
        .iter()
        .enumerate()
        .filter_map(|(i, u)| {
            let c = seen.entry(u).or_insert(0);
            (*c < max_per_user).then(|| {
                *c += 1;
                i
            })
        })
        .collect()
}

#[cfg(feature = "dp")]
mod noise {
    use super::{bound_contributions, Budget, DpError};
    use opendp::domains::AtomDomain;
    use opendp::measurements::make_laplace;
    use opendp::measures::MaxDivergence;
    use opendp::metrics::AbsoluteDistance;
    use std::hash::Hash;

    fn od(e: opendp::error::Error) -> DpError {
        DpError::OpenDp(e.to_string())
    }

    impl Budget {
        /// Noisy count of the sessions of `users` after bounding each user to `m` sessions
        /// (sensitivity `m`), with discrete Laplace noise of scale `m/ε`.
        pub fn count<U: Hash + Eq>(
            &mut self,
            what: &str,
            users: &[U],
            epsilon: f64,
        ) -> Result<i64, DpError> {
            self.check(what, epsilon)?;
            let m = self.max_sessions_per_user();
            let n = bound_contributions(users, m).len() as i64;
            let meas = make_laplace::<_, _, MaxDivergence>(
                AtomDomain::<i64>::default(),
                AbsoluteDistance::<i64>::default(),
                f64::from(m) / epsilon,
                None,
            )
            .map_err(od)?;
            let spent = meas.map(&i64::from(m)).map_err(od)?;
            self.check(what, spent)?;
            let v = meas.invoke(&n).map_err(od)?;
            self.record(what, spent);
            Ok(v)
        }

        /// Noisy sum of `values` clamped to `[lower, upper]`, each user bounded to `m` rows
        /// (sensitivity `m · max(|lower|, |upper|)`), Laplace noise.
        pub fn sum<U: Hash + Eq>(
            &mut self,
            what: &str,
            values: &[f64],
            users: &[U],
            (lower, upper): (f64, f64),
            epsilon: f64,
        ) -> Result<f64, DpError> {
            self.check(what, epsilon)?;
            if values.len() != users.len() {
                return Err(DpError::Invalid(format!(
                    "{what}: {} values for {} user keys",
                    values.len(),
                    users.len()
                )));
            }
            if !(lower.is_finite() && upper.is_finite() && lower <= upper) {
                return Err(DpError::Invalid(format!(
                    "{what}: bounds [{lower}, {upper}]"
                )));
            }
            let m = self.max_sessions_per_user();
            let total: f64 = bound_contributions(users, m)
                .into_iter()
                .map(|i| {
                    if values[i].is_nan() {
                        lower
                    } else {
                        values[i].clamp(lower, upper)
                    }
                })
                .sum();
            let sens = f64::from(m) * lower.abs().max(upper.abs());
            if sens == 0.0 {
                // All values are forced to 0: the sum is public.
                return Ok(0.0);
            }
            let meas = make_laplace::<_, _, MaxDivergence>(
                AtomDomain::<f64>::new_non_nan(),
                AbsoluteDistance::<f64>::default(),
                sens / epsilon,
                None,
            )
            .map_err(od)?;
            let spent = meas.map(&sens).map_err(od)?;
            self.check(what, spent)?;
            let v = meas.invoke(&total).map_err(od)?;
            self.record(what, spent);
            Ok(v)
        }

        /// Noisy mean of `values` clamped to `[lower, upper]`: a noisy sum and a noisy count,
        /// each with half of `epsilon`; the ratio is clamped to the bounds. `None` when the
        /// noisy count is below 1.
        pub fn mean<U: Hash + Eq>(
            &mut self,
            what: &str,
            values: &[f64],
            users: &[U],
            bounds: (f64, f64),
            epsilon: f64,
        ) -> Result<Option<f64>, DpError> {
            self.check(what, epsilon)?;
            let s = self.sum(
                &format!("{what} (sum)"),
                values,
                users,
                bounds,
                epsilon / 2.0,
            )?;
            let n = self.count(&format!("{what} (count)"), users, epsilon / 2.0)?;
            Ok((n >= 1).then(|| (s / n as f64).clamp(bounds.0, bounds.1)))
        }

        /// Noisy share of `true` (a mean of 0/1 values).
        pub fn share<U: Hash + Eq>(
            &mut self,
            what: &str,
            flags: &[bool],
            users: &[U],
            epsilon: f64,
        ) -> Result<Option<f64>, DpError> {
            let v: Vec<f64> = flags.iter().map(|&b| f64::from(u8::from(b))).collect();
            self.mean(what, &v, users, (0.0, 1.0), epsilon)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounding_keeps_first_m_per_user() {
        let kept = bound_contributions(&["a", "b", "a", "a", "c", "b"], 2);
        assert_eq!(kept, vec![0, 1, 2, 4, 5]);
    }

    #[test]
    fn budget_validates_and_refuses_overspending() {
        assert!(Budget::new(0.0, 1).is_err());
        assert!(Budget::new(1.0, 0).is_err());
        let b = Budget::new(1.0, 5).unwrap();
        assert!(b.check("x", 0.5).is_ok());
        assert!(matches!(
            b.check("x", 1.5),
            Err(DpError::BudgetExceeded { .. })
        ));
        assert!(b.check("x", -1.0).is_err());
    }

    #[cfg(feature = "dp")]
    #[test]
    fn noisy_releases_spend_the_ledger_and_stay_near_truth() {
        let users: Vec<u32> = (0..2000).map(|i| i / 4).collect(); // 500 users × 4 sessions
        let mut b = Budget::new(100.0, 2).unwrap();
        let c = b.count("sessions", &users, 40.0).unwrap();
        // Bounded to 2 per user: truth 1000; scale 2/40 = 0.05.
        assert!((c - 1000).abs() <= 3, "{c}");
        let flags: Vec<bool> = (0..2000).map(|i| i % 4 == 0).collect();
        let s = b.share("share", &flags, &users, 40.0).unwrap().unwrap();
        // Bounded rows: sessions 0 and 1 of each user, share 0.5.
        assert!((s - 0.5).abs() < 0.01, "{s}");
        assert!((b.spent() - 80.0).abs() < 1e-9, "{}", b.spent());
        assert_eq!(b.ledger().entries.len(), 3);
        assert!(matches!(
            b.count("more", &users, 30.0),
            Err(DpError::BudgetExceeded { .. })
        ));
        assert_eq!(
            b.ledger().entries.len(),
            3,
            "a refused release spends nothing"
        );
    }
}
