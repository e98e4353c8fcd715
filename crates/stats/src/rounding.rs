//! Rounding of published counts and shares in team mode (docs/STATISTICS.md, "Rounding").
//!
//! Conventional rounding to a base `b` (default 5): deterministic, so re-running gives the same
//! page, and consistent, so the same count prints the same number wherever it appears (an
//! attacker gains nothing from reading it twice). A count `x` is published as the multiple of
//! `b` nearest to it (halves up for even bases); an attacker who reads `r` knows only that `x`
//! lies in [`bin`]`(r)`, an interval of `b` integers. Shares are computed from unrounded data
//! and published on a grid of [`share_step`]: a step at least `b` divided by the published
//! denominator, so that a share reveals its numerator no better than a rounded count would.
//! `b` = 0 or 1 switches rounding off.

/// Whether `base` rounds at all (0 and 1 leave numbers as they are).
pub fn active(base: u32) -> bool {
    base > 1
}

/// `x` rounded to the nearest multiple of `base` (halves up); `x` itself when rounding is off.
pub fn round_count(x: u64, base: u32) -> u64 {
    if !active(base) {
        return x;
    }
    let b = u64::from(base);
    (x + b / 2) / b * b
}

/// The counts an attacker who reads the rounded count `r` cannot tell apart: every `x` with
/// `round_count(x) == r`, as an inclusive range (never below zero).
pub fn bin(r: u64, base: u32) -> (u64, u64) {
    if !active(base) {
        return (r, r);
    }
    let b = u64::from(base);
    (r.saturating_sub(b / 2), r + b - b / 2 - 1)
}

/// Grid of published shares (0–1) whose denominator rounds to `den_rounded`: the finest of
/// 0.001, 0.002, 0.005, 0.01, … at least `base / den_rounded`; `None` when rounding is off.
pub fn share_step(den_rounded: u64, base: u32) -> Option<f64> {
    if !active(base) {
        return None;
    }
    let need = f64::from(base) / den_rounded.max(1) as f64;
    const GRID: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];
    Some(
        GRID.iter()
            .copied()
            .find(|&s| s + 1e-12 >= need)
            .unwrap_or(1.0),
    )
}

/// `v` on the grid `step` (nearest; printed without binary noise).
pub fn to_step(v: f64, step: f64) -> f64 {
    let units = (v / step).round();
    // 0.1 × 3 is 0.30000000000000004: go through the number of thousandths.
    (units * step * 1000.0).round() / 1000.0
}

/// The share `num / den` as published: on the grid of the rounded denominator.
pub fn published_share(num: u64, den: u64, base: u32) -> Option<f64> {
    if den == 0 {
        return None;
    }
    let v = num as f64 / den as f64;
    Some(match share_step(round_count(den, base), base) {
        Some(step) => to_step(v, step),
        None => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_to_the_nearest_multiple_and_bins_invert_it() {
        assert_eq!(
            (0..=12).map(|x| round_count(x, 5)).collect::<Vec<_>>(),
            [0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 10, 10, 10]
        );
        for base in [2u32, 3, 5, 10] {
            for x in 0..60u64 {
                let r = round_count(x, base);
                let (lo, hi) = bin(r, base);
                assert!(lo <= x && x <= hi, "{x} base {base}: {r} [{lo}, {hi}]");
                // Every count in the bin rounds to r, and the ends' neighbours do not.
                assert!((lo..=hi).all(|y| round_count(y, base) == r));
                assert_ne!(round_count(hi + 1, base), r);
                if lo > 0 {
                    assert_ne!(round_count(lo - 1, base), r);
                }
            }
        }
        assert_eq!(round_count(7, 0), 7);
        assert_eq!(bin(7, 1), (7, 7));
    }

    #[test]
    fn shares_are_published_no_finer_than_the_rounding_allows() {
        assert_eq!(share_step(100, 5), Some(0.05));
        assert_eq!(share_step(1000, 5), Some(0.005));
        assert_eq!(share_step(20, 5), Some(0.5));
        assert_eq!(share_step(100, 0), None);
        assert_eq!(published_share(37, 100, 5), Some(0.35));
        assert_eq!(published_share(3, 10, 5), Some(0.5));
        assert_eq!(published_share(37, 100, 1), Some(0.37));
        assert_eq!(to_step(0.3, 0.1), 0.3);
    }
}
