//! Descriptive statistics: means and shares with user-clustered intervals, quantiles,
//! geometric means, and group-bys that count sessions and distinct users per cell.
//!
//! Definitions (docs/STATISTICS.md):
//! - a mean's SE is the CR1 cluster-robust SE of a regression on a constant (= pyfixest
//!   `feols("y ~ 1", vcov={"CRV1": "user"})`), its 95% CI uses the t distribution with G−1
//!   degrees of freedom;
//! - a share is the mean of a 0/1 variable with that SE, but its 95% CI is a Wilson score
//!   interval on the design-effect-adjusted sample size, which stays in [0, 1];
//! - for one person's sessions (personal mode) the session is the unit: a mean's SE is the HC1
//!   SE of a regression on a constant (= the sample SD / √n), its CI uses t(n−1)
//!   ([`session_mean`]); a share's CI is the Wilson score interval on the n sessions
//!   ([`session_share`]);
//! - quantiles are type 7 (linear interpolation between order statistics, numpy's default);
//! - the geometric mean is `exp(mean(ln x))` over the strictly positive values only, and the
//!   number of values left out (zero or negative) is reported, never silently mixed in.

use crate::privacy::Estimate;
use crate::regression::tdist;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;

/// A mean with its user-clustered uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusteredMean {
    pub mean: f64,
    /// CR1 standard error; NaN with fewer than two users.
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub n: usize,
    pub n_clusters: usize,
}

impl ClusteredMean {
    /// As a privacy [`Estimate`] (non-finite numbers become `None`).
    pub fn estimate(&self) -> Estimate {
        let f = |v: f64| v.is_finite().then_some(v);
        Estimate {
            value: f(self.mean),
            se: f(self.se),
            ci_low: f(self.ci_low),
            ci_high: f(self.ci_high),
            p_value: None,
        }
    }
}

/// Mean of `values` with a CR1 standard error clustered on `users` (one key per value):
/// `V = G/(G−1) · Σ_g (Σ_{i∈g} (x_i − x̄))² / n²` (the `(n−1)/(n−k)` factor is 1 for k = 1).
/// Non-finite values are skipped. `None` when no value is left.
pub fn clustered_mean<U: Hash + Eq>(values: &[f64], users: &[U]) -> Option<ClusteredMean> {
    assert_eq!(values.len(), users.len(), "one user key per value");
    let pairs: Vec<(f64, &U)> = values
        .iter()
        .zip(users)
        .filter(|(v, _)| v.is_finite())
        .map(|(&v, u)| (v, u))
        .collect();
    let n = pairs.len();
    if n == 0 {
        return None;
    }
    let m = pairs.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let mut sums: HashMap<&U, f64> = HashMap::new();
    for &(v, u) in &pairs {
        *sums.entry(u).or_insert(0.0) += v - m;
    }
    let g = sums.len();
    let (se, ci_low, ci_high) = if g >= 2 {
        let gf = g as f64;
        // Sum in a fixed order: HashMap iteration order would change the last digits per run.
        let mut squares: Vec<f64> = sums.values().map(|s| s * s).collect();
        squares.sort_by(f64::total_cmp);
        let var = gf / (gf - 1.0) * squares.iter().sum::<f64>() / (n as f64).powi(2);
        let se = var.sqrt();
        let q = tdist::quantile(0.975, gf - 1.0);
        (se, m - q * se, m + q * se)
    } else {
        (f64::NAN, f64::NAN, f64::NAN)
    };
    Some(ClusteredMean {
        mean: m,
        se,
        ci_low,
        ci_high,
        n,
        n_clusters: g,
    })
}

/// Share of `true`: the mean and CR1 standard error of [`clustered_mean`], with a 95% interval
/// that stays inside [0, 1] ([`wilson_clustered`]) instead of mean ± t·SE, which can leave
/// [0, 1] and has zero width at 0% and 100%.
pub fn clustered_share<U: Hash + Eq>(flags: &[bool], users: &[U]) -> Option<ClusteredMean> {
    let v: Vec<f64> = flags.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
    let mut m = clustered_mean(&v, users)?;
    if m.n_clusters >= 2 {
        (m.ci_low, m.ci_high) = wilson_clustered(m.mean, m.se, m.n, m.n_clusters);
    }
    Some(m)
}

/// Mean of `values` over sessions as independent units (one person's sessions, where a
/// user-clustered SE is undefined): the HC1 SE of a regression on a constant,
/// `√(Σ (x_i − x̄)² / (n (n − 1)))`, and a t(n − 1) interval. Non-finite values are skipped.
/// With fewer than two values, or no variation at all, there is no interval (`NaN`): a
/// zero-width interval would claim a precision the data do not have. `n_clusters` is `n`.
pub fn session_mean(values: &[f64]) -> Option<ClusteredMean> {
    let v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let m = v.iter().sum::<f64>() / nf;
    let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
    let (se, ci_low, ci_high) = if n >= 2 && ss > 0.0 {
        let se = (ss / (nf * (nf - 1.0))).sqrt();
        let q = tdist::quantile(0.975, nf - 1.0);
        (se, m - q * se, m + q * se)
    } else {
        (f64::NAN, f64::NAN, f64::NAN)
    };
    Some(ClusteredMean {
        mean: m,
        se,
        ci_low,
        ci_high,
        n,
        n_clusters: n,
    })
}

/// Share of `true` over sessions as independent units: the mean with the HC1 SE of
/// [`session_mean`] (`NaN` at 0% or 100%), and the Wilson score interval on the n sessions
/// (z = 1.96), which stays in [0, 1] and is never of zero width.
pub fn session_share(flags: &[bool]) -> Option<ClusteredMean> {
    let v: Vec<f64> = flags.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
    let mut m = session_mean(&v)?;
    (m.ci_low, m.ci_high) = wilson(m.mean, m.n as f64, Z_975);
    Some(m)
}

/// The standard normal's 97.5% quantile.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Wilson score interval on the effective sample size (Kish): `n_eff = n / deff`, where the
/// design effect `deff = SE²_CR1 / (p(1−p)/n)` is floored at 1 (clustering never makes a share
/// more precise than independent sessions would) and taken as 1 when `p` is 0 or 1 (no
/// variance to compare). The critical value is t(0.975, G−1), as for the other clustered
/// intervals. The interval always contains `p` and stays in [0, 1].
pub fn wilson_clustered(p: f64, se: f64, n: usize, n_clusters: usize) -> (f64, f64) {
    if n == 0 || n_clusters < 2 || !p.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let nf = n as f64;
    let iid = p * (1.0 - p) / nf;
    let deff = if iid > 0.0 && se.is_finite() {
        (se * se / iid).max(1.0)
    } else {
        1.0
    };
    let q = tdist::quantile(0.975, n_clusters as f64 - 1.0);
    wilson(p, nf / deff, q)
}

/// Wilson score interval for a proportion `p` on `n` (possibly effective, non-integer)
/// observations with critical value `q`.
pub fn wilson(p: f64, n: f64, q: f64) -> (f64, f64) {
    let q2 = q * q;
    let denom = 1.0 + q2 / n;
    let centre = (p + q2 / (2.0 * n)) / denom;
    let half = q / denom * (p * (1.0 - p) / n + q2 / (4.0 * n * n)).max(0.0).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Arithmetic mean of the finite values (`None` if there are none).
pub fn mean(values: &[f64]) -> Option<f64> {
    let (s, n) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| s / n as f64)
}

/// Type-7 quantile (numpy's default `linear`) of an ascending-sorted slice; `p` in [0, 1].
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Type-7 quantile of the finite values of an unsorted slice.
pub fn quantile(values: &[f64], p: f64) -> Option<f64> {
    quantile_sorted(&sorted_finite(values), p)
}

/// A coarsened quantile for publication: the mean of the `w` order statistics nearest the
/// type-7 position of `p` (the window slides inward at the ends), so no published quantile is
/// one session's value and the five box quantiles of a small cell cannot be solved back into
/// its sessions. `w <= 1` is the exact type-7 quantile; `None` with fewer than `w` values.
pub fn coarse_quantile_sorted(sorted: &[f64], p: f64, w: usize) -> Option<f64> {
    if w <= 1 {
        return quantile_sorted(sorted, p);
    }
    let n = sorted.len();
    if n < w || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (n - 1) as f64 * p;
    let start = (h - (w - 1) as f64 / 2.0)
        .round()
        .clamp(0.0, (n - w) as f64) as usize;
    Some(sorted[start..start + w].iter().sum::<f64>() / w as f64)
}

/// [`coarse_quantile_sorted`] of the finite values of an unsorted slice.
pub fn coarse_quantile(values: &[f64], p: f64, w: usize) -> Option<f64> {
    coarse_quantile_sorted(&sorted_finite(values), p, w)
}

fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Geometric mean over the strictly positive finite values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoMean {
    pub value: f64,
    /// Values used (x > 0).
    pub n_used: usize,
    /// Values left out because they were zero or negative.
    pub n_nonpositive: usize,
}

/// `exp(mean(ln x))` over x > 0. Zeros cannot enter a geometric mean; they are counted in
/// `n_nonpositive` so a report can say how many sessions (e.g. with no actions) were left out.
pub fn geometric_mean(values: &[f64]) -> Option<GeoMean> {
    let mut s = 0.0;
    let (mut n, mut nonpos) = (0usize, 0usize);
    for &v in values.iter().filter(|v| v.is_finite()) {
        if v > 0.0 {
            s += v.ln();
            n += 1;
        } else {
            nonpos += 1;
        }
    }
    (n > 0).then(|| GeoMean {
        value: (s / n as f64).exp(),
        n_used: n,
        n_nonpositive: nonpos,
    })
}

/// Box-plot statistics (Fig. 3): p5, p25, median, p75, p95 (type 7), mean, geometric mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxStats {
    pub p5: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub p95: f64,
    pub mean: f64,
    pub geomean: Option<GeoMean>,
    /// Finite values summarised.
    pub n: usize,
}

/// Box statistics of the finite values (`None` if there are none).
pub fn box_stats(values: &[f64]) -> Option<BoxStats> {
    box_stats_coarse(values, 1)
}

/// Box statistics with each quantile coarsened over `w` order statistics
/// ([`coarse_quantile_sorted`]); `w = 1` is [`box_stats`].
pub fn box_stats_coarse(values: &[f64], w: usize) -> Option<BoxStats> {
    let s = sorted_finite(values);
    let q = |p| coarse_quantile_sorted(&s, p, w);
    Some(BoxStats {
        p5: q(0.05)?,
        p25: q(0.25)?,
        median: q(0.5)?,
        p75: q(0.75)?,
        p95: q(0.95)?,
        mean: s.iter().sum::<f64>() / s.len() as f64,
        geomean: geometric_mean(&s),
        n: s.len(),
    })
}

/// The rows of one group and its privacy counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Row indices, ascending.
    pub rows: Vec<usize>,
    pub n_sessions: u64,
    pub n_users: u64,
}

/// Groups rows by key (sorted by key for deterministic output), counting sessions and distinct
/// users per group. `users` has one key per row.
pub fn group_by<K: Ord + Clone, U: Hash + Eq>(keys: &[K], users: &[U]) -> BTreeMap<K, Group> {
    assert_eq!(keys.len(), users.len(), "one user key per row");
    let mut rows: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        rows.entry(k.clone()).or_default().push(i);
    }
    rows.into_iter()
        .map(|(k, rows)| {
            let n_users = rows
                .iter()
                .map(|&i| &users[i])
                .collect::<HashSet<_>>()
                .len() as u64;
            (
                k,
                Group {
                    n_sessions: rows.len() as u64,
                    n_users,
                    rows,
                },
            )
        })
        .collect()
}

/// Picks `values[i]` for the given rows (convenience for per-group statistics).
pub fn pick<T: Clone>(values: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&i| values[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_quantiles_average_a_window_of_sessions() {
        let v = [1.0, 2.0, 3.0, 5.0, 11.0];
        // w = 1: exact type 7.
        assert_eq!(coarse_quantile(&v, 0.5, 1), Some(3.0));
        // A five-session cell at w = 5: every quantile is the mean, none a session's value.
        let b = box_stats_coarse(&v, 5).unwrap();
        for q in [b.p5, b.p25, b.median, b.p75, b.p95] {
            assert!((q - 4.4).abs() < 1e-12, "{q}");
        }
        // w = 3 over 9 values: windows [0..3), [2..5), [3..6), [4..7), [6..9).
        let v: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(coarse_quantile(&v, 0.0, 3), Some(2.0));
        assert_eq!(coarse_quantile(&v, 0.5, 3), Some(5.0));
        assert_eq!(coarse_quantile(&v, 1.0, 3), Some(8.0));
        assert_eq!(coarse_quantile(&v[..2], 0.5, 3), None);
    }

    #[test]
    fn type7_quantiles_match_numpy() {
        // numpy.quantile([1,2,3,4,10], [0.05,0.25,0.5,0.75,0.95])
        let v = [4.0, 1.0, 10.0, 3.0, 2.0];
        let b = box_stats(&v).unwrap();
        assert!((b.p5 - 1.2).abs() < 1e-12);
        assert!((b.p25 - 2.0).abs() < 1e-12);
        assert!((b.median - 3.0).abs() < 1e-12);
        assert!((b.p75 - 4.0).abs() < 1e-12);
        assert!((b.p95 - 8.8).abs() < 1e-12);
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn geometric_mean_skips_and_counts_zeros() {
        let g = geometric_mean(&[0.0, 2.0, 8.0]).unwrap();
        assert!((g.value - 4.0).abs() < 1e-12);
        assert_eq!((g.n_used, g.n_nonpositive), (2, 1));
        assert_eq!(geometric_mean(&[0.0]), None);
    }

    #[test]
    fn clustered_share_by_hand() {
        // users a: [1,1], b: [0], c: [1,0]; mean 0.6, deviations a: 0.8, b: -0.6, c: -0.2.
        let m = clustered_share(
            &[true, true, false, true, false],
            &["a", "a", "b", "c", "c"],
        )
        .unwrap();
        assert!((m.mean - 0.6).abs() < 1e-12);
        let var: f64 = 1.5 * (0.64 + 0.36 + 0.04) / 25.0;
        assert!((m.se - var.sqrt()).abs() < 1e-12);
        assert_eq!(m.n_clusters, 3);
        assert!(m.ci_low < m.mean && m.mean < m.ci_high);
    }

    #[test]
    fn share_intervals_stay_in_the_unit_interval() {
        // Wilson with q = 1.96, n = 10, p = 0.5: the textbook interval (0.2366, 0.7634).
        let (lo, hi) = wilson(0.5, 10.0, 1.959964);
        assert!((lo - 0.2366).abs() < 1e-4 && (hi - 0.7634).abs() < 1e-4);
        // A rare share among few users: the t interval would go below 0.
        let mut flags = vec![false; 37];
        flags[0] = true;
        flags[1] = true;
        let users: Vec<u32> = (0..37).map(|i| i % 9).collect();
        let m = clustered_share(&flags, &users).unwrap();
        assert!(
            m.mean - 2.306 * m.se < 0.0,
            "the t interval would leave [0, 1]"
        );
        assert!(m.ci_low >= 0.0 && m.ci_low <= m.mean && m.mean <= m.ci_high && m.ci_high <= 1.0);
        // 0% and 100% get a real interval, not a zero-width one.
        for (all, users) in [(false, [1, 2, 3, 1, 2, 3]), (true, [1, 2, 3, 1, 2, 3])] {
            let m = clustered_share(&[all; 6], &users).unwrap();
            assert!(m.ci_high - m.ci_low > 0.1, "{m:?}");
            assert!((0.0..=1.0).contains(&m.ci_low) && (0.0..=1.0).contains(&m.ci_high));
        }
    }

    proptest::proptest! {
        /// Whatever the data, a clustered share's interval is inside [0, 1] and contains it.
        #[test]
        fn wilson_clustered_is_bounded(
            rows in proptest::collection::vec((proptest::bool::ANY, 0u8..8), 1..80),
        ) {
            let flags: Vec<bool> = rows.iter().map(|r| r.0).collect();
            let users: Vec<u8> = rows.iter().map(|r| r.1).collect();
            let m = clustered_share(&flags, &users).unwrap();
            if m.n_clusters >= 2 {
                proptest::prop_assert!(0.0 <= m.ci_low && m.ci_low <= m.mean + 1e-12);
                proptest::prop_assert!(m.mean <= m.ci_high + 1e-12 && m.ci_high <= 1.0);
            } else {
                proptest::prop_assert!(m.ci_low.is_nan() && m.ci_high.is_nan());
            }
        }
    }

    #[test]
    fn group_by_counts_distinct_users() {
        let g = group_by(&["x", "y", "x", "x"], &[1, 1, 2, 1]);
        assert_eq!(g["x"].n_sessions, 3);
        assert_eq!(g["x"].n_users, 2);
        assert_eq!(g["y"].rows, vec![1]);
    }
}
