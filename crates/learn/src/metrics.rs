//! Agreement between predicted and reference labels: exact and within-one shares with Wilson
//! 95% intervals, and Cohen's kappa.

use serde::{Deserialize, Serialize};

/// A share with its 95% Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub k: usize,
    pub n: usize,
    pub p: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Share {
    pub fn of(k: usize, n: usize) -> Share {
        let (lo, hi) = wilson(k, n);
        Share {
            k,
            n,
            p: if n > 0 { k as f64 / n as f64 } else { 0.0 },
            lo,
            hi,
        }
    }
}

/// Wilson score interval, 95%.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n_f = n as f64;
    let p = k as f64 / n_f;
    let d = 1.0 + z * z / n_f;
    let c = (p + z * z / (2.0 * n_f)) / d;
    let h = z * ((p * (1.0 - p) / n_f + z * z / (4.0 * n_f * n_f)).sqrt()) / d;
    ((c - h).max(0.0), (c + h).min(1.0))
}

/// Agreement of `pairs` (predicted, reference) class indices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub exact: Share,
    /// Pairs within one level (scales only; pairs with an off-scale class such as Unclear
    /// count as within one only when equal).
    pub within: Option<Share>,
    pub kappa: f64,
}

pub fn agreement(
    pairs: &[(usize, usize)],
    level: Option<&dyn Fn(usize) -> Option<i32>>,
) -> Agreement {
    let n = pairs.len();
    let exact = pairs.iter().filter(|(a, b)| a == b).count();
    let within = level.map(|lv| {
        let k = pairs
            .iter()
            .filter(|(a, b)| match (lv(*a), lv(*b)) {
                (Some(x), Some(y)) => (x - y).abs() <= 1,
                _ => a == b,
            })
            .count();
        Share::of(k, n)
    });
    Agreement {
        exact: Share::of(exact, n),
        within,
        kappa: kappa(pairs),
    }
}

/// Cohen's kappa; 0 when chance agreement is total (one class on both sides) or no pairs.
pub fn kappa(pairs: &[(usize, usize)]) -> f64 {
    let n = pairs.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    let k = pairs.iter().map(|(a, b)| a.max(b) + 1).max().unwrap_or(0);
    let mut ra = vec![0.0; k];
    let mut rb = vec![0.0; k];
    let mut po = 0.0;
    for (a, b) in pairs {
        ra[*a] += 1.0;
        rb[*b] += 1.0;
        if a == b {
            po += 1.0;
        }
    }
    po /= n;
    let pe: f64 = ra.iter().zip(&rb).map(|(x, y)| x * y).sum::<f64>() / (n * n);
    if (1.0 - pe).abs() < 1e-12 {
        0.0
    } else {
        (po - pe) / (1.0 - pe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_known_values() {
        // 8 of 10: (0.4902, 0.9433) — standard tables.
        let (lo, hi) = wilson(8, 10);
        assert!(
            (lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn kappa_and_within_one() {
        // Perfect agreement over two classes: kappa 1.
        assert!((kappa(&[(0, 0), (1, 1), (0, 0), (1, 1)]) - 1.0).abs() < 1e-12);
        // Cohen's textbook example: po = 0.7, pe = 0.5 → 0.4.
        let mut p = vec![(0, 0); 20];
        p.extend(vec![(0, 1); 5]);
        p.extend(vec![(1, 0); 10]);
        p.extend(vec![(1, 1); 15]);
        assert!((kappa(&p) - 0.4).abs() < 1e-12);
        let lv = |c: usize| (c < 5).then_some(c as i32);
        let a = agreement(&[(0, 1), (2, 4), (5, 5), (5, 0)], Some(&lv));
        assert_eq!(a.exact.k, 1);
        assert_eq!(a.within.unwrap().k, 2);
    }
}
