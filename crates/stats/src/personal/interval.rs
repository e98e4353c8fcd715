//! Intervals over sessions for one person's data: Wilson for a share, Newcombe's hybrid score
//! interval for a difference of two independent shares, a t interval for a mean.

use crate::descriptive::wilson;
use crate::regression::tdist;

const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score 95% interval for `x` successes in `n` sessions (`n > 0`).
pub fn wilson95(x: u64, n: u64) -> (f64, f64) {
    wilson(x as f64 / n as f64, n as f64, Z95)
}

/// Newcombe (1998) method 10: the 95% interval of `p1 − p2` from the two Wilson intervals.
/// Never zero-width for `n1, n2 > 0`, stays in [−1, 1], and contains the difference.
pub fn newcombe(x1: u64, n1: u64, x2: u64, n2: u64) -> (f64, f64, f64) {
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let (l1, u1) = wilson95(x1, n1);
    let (l2, u2) = wilson95(x2, n2);
    let d = p1 - p2;
    let lo = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let hi = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    (d, lo.max(-1.0), hi.min(1.0))
}

/// Mean of `v` with its t 95% interval over sessions (`n − 1` degrees of freedom); `None`
/// with fewer than two values or no spread (no interval can be stated: "too few sessions").
pub fn mean_t95(v: &[f64]) -> Option<(f64, f64, f64, f64)> {
    let n = v.len();
    if n < 2 {
        return None;
    }
    let m = v.iter().sum::<f64>() / n as f64;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    let se = (var / n as f64).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return None;
    }
    let q = tdist::quantile(0.975, (n - 1) as f64);
    Some((m, se, m - q * se, m + q * se))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998) Table I: 81/263 → 0.2553–0.3662.
        let (lo, hi) = wilson95(81, 263);
        assert!(
            (lo - 0.2553).abs() < 5e-4 && (hi - 0.3662).abs() < 5e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson95(0, 4);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.4 && hi < 0.6);
    }

    #[test]
    fn newcombe_matches_published_values() {
        // Newcombe (1998) Table II, method 10: 56/70 − 48/80 = 0.2000, 0.0524 to 0.3339.
        let (d, lo, hi) = newcombe(56, 70, 48, 80);
        assert!((d - 0.2).abs() < 1e-12);
        assert!(
            (lo - 0.0524).abs() < 5e-4 && (hi - 0.3339).abs() < 5e-4,
            "{lo} {hi}"
        );
        // 9/10 − 3/10 = 0.6000, 0.1705 to 0.8090.
        let (_, lo, hi) = newcombe(9, 10, 3, 10);
        assert!(
            (lo - 0.1705).abs() < 5e-4 && (hi - 0.8090).abs() < 5e-4,
            "{lo} {hi}"
        );
        // Degenerate shares (all or none) still give a real interval.
        let (d, lo, hi) = newcombe(5, 5, 0, 5);
        assert_eq!(d, 1.0);
        assert!(lo > 0.2 && lo < 0.9 && hi == 1.0, "{lo} {hi}");
    }

    #[test]
    fn mean_interval_needs_spread() {
        assert!(mean_t95(&[3.0]).is_none());
        assert!(mean_t95(&[3.0, 3.0, 3.0]).is_none());
        let (m, _, lo, hi) = mean_t95(&[1.0, 2.0, 3.0]).unwrap();
        // mean 2, sd 1, se 0.577, t(0.975, 2) = 4.303 → 2 ± 2.484.
        assert!((m - 2.0).abs() < 1e-12);
        assert!((lo - (2.0 - 2.4841)).abs() < 1e-3 && (hi - (2.0 + 2.4841)).abs() < 1e-3);
    }
}
