//! Fitting and applying one facet's predictor: L2-regularised multinomial logistic regression,
//! or an ordinal model for the scales made of cumulative binary logistic regressions
//! (P(level > k) for each cut; Frank & Hall).
//!
//! The fit is [`crate::lbfgs`] on the penalised negative log-likelihood (the intercepts are
//! not penalised). smartcore 0.7's logistic regression was tried first: its L-BFGS runs to
//! 1,000 iterations at a 1e-8 gradient tolerance with no way to loosen either, which made a
//! training run on 460 ratings take over ten minutes (docs/LEARNED.md).
//!
//! Deterministic: L-BFGS from a zero start with a fixed summation order; no randomness.

use crate::lbfgs;
use serde::{Deserialize, Serialize};

/// How a facet's model is built.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub kind: Kind,
    /// L2 penalty (smartcore's `alpha`: alpha/2 · ‖w‖² added to the negative log-likelihood).
    pub alpha: f64,
    /// Which features the model reads.
    pub set: FeatureSet,
}

/// A contiguous range of the feature vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureSet {
    /// The heuristic's labels (one-hot) and decision counts only: the rules, recalibrated.
    Rules,
    /// Every structural feature (includes the rules).
    Structure,
    /// Structure and the hashed words (and the meaning block between them).
    All,
    /// Structure and the prompts' mean embeddings.
    Meaning,
    /// The rules' outputs and the prompts' mean embeddings.
    RulesMeaning,
}

impl FeatureSet {
    /// The feature indices the set covers.
    pub fn range(self) -> std::ops::Range<usize> {
        match self {
            FeatureSet::Rules => crate::features::rules_start()..crate::features::dense_dim(),
            FeatureSet::Structure => 0..crate::features::dense_dim(),
            FeatureSet::All => 0..crate::features::dim(),
            FeatureSet::Meaning => 0..crate::features::meaning_end(),
            FeatureSet::RulesMeaning => {
                crate::features::rules_start()..crate::features::meaning_end()
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Multinomial,
    Ordinal,
}

/// A fitted predictor over standardised features (the first `w[i].len()` of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Predictor {
    /// Softmax over `classes`: logit_i = w_i · x + b_i. Classes absent from training have
    /// probability 0.
    Multinomial {
        classes: Vec<usize>,
        w: Vec<Vec<f64>>,
        b: Vec<f64>,
    },
    /// `classes` in scale order; P(above classes[j]) = sigmoid(w_j · x + b_j) for each cut j.
    Ordinal {
        classes: Vec<usize>,
        w: Vec<Vec<f64>>,
        b: Vec<f64>,
    },
}

fn dot(w: &[f64], x: &[f64]) -> f64 {
    w.iter().zip(x).map(|(a, b)| a * b).sum()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Predictor {
    /// Probability of each class (`(class, p)`, classes the predictor can give).
    pub fn proba(&self, x: &[f64]) -> Vec<(usize, f64)> {
        match self {
            Predictor::Multinomial { classes, w, b } => {
                let z: Vec<f64> = w.iter().zip(b).map(|(w, b)| dot(w, x) + b).collect();
                let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = z.iter().map(|z| (z - m).exp()).collect();
                let s: f64 = e.iter().sum();
                classes
                    .iter()
                    .copied()
                    .zip(e.iter().map(|e| e / s))
                    .collect()
            }
            Predictor::Ordinal { classes, w, b } => {
                // Cumulative P(> cut j), made non-increasing.
                let mut above = Vec::with_capacity(w.len());
                let mut prev = 1.0f64;
                for (w, b) in w.iter().zip(b) {
                    let p = sigmoid(dot(w, x) + b).min(prev);
                    above.push(p);
                    prev = p;
                }
                let mut out = Vec::with_capacity(classes.len());
                let mut higher = 1.0;
                for (j, c) in classes.iter().enumerate() {
                    let a = above.get(j).copied().unwrap_or(0.0);
                    out.push((*c, (higher - a).max(0.0)));
                    higher = a;
                }
                let s: f64 = out.iter().map(|(_, p)| p).sum();
                if s > 0.0 {
                    for (_, p) in &mut out {
                        *p /= s;
                    }
                }
                out
            }
        }
    }

    /// The most probable class and its probability (ties: the lower class index).
    pub fn predict(&self, x: &[f64]) -> (usize, f64) {
        let mut best = (usize::MAX, -1.0);
        for (c, p) in self.proba(x) {
            if p > best.1 || (p == best.1 && c < best.0) {
                best = (c, p);
            }
        }
        best
    }

    /// Number of features the predictor reads.
    pub fn width(&self) -> usize {
        match self {
            Predictor::Multinomial { w, .. } | Predictor::Ordinal { w, .. } => {
                w.first().map_or(0, Vec::len)
            }
        }
    }

    pub fn classes(&self) -> &[usize] {
        match self {
            Predictor::Multinomial { classes, .. } | Predictor::Ordinal { classes, .. } => classes,
        }
    }
}

/// Fit a predictor. `x` rows are standardised features (already cut to the width the spec
/// uses); `y` are class indices; `order` gives, for ordinal models, each class's position on
/// the scale (`None`: not on the scale — such rows are left out of an ordinal fit).
pub fn fit(
    x: &[Vec<f64>],
    y: &[usize],
    weights: Option<&[f64]>,
    spec: Spec,
    order: &dyn Fn(usize) -> Option<i32>,
) -> Result<Predictor, String> {
    match spec.kind {
        Kind::Multinomial => multinomial(x, y, weights, spec.alpha),
        Kind::Ordinal => ordinal(x, y, weights, spec.alpha, order),
    }
}

fn multinomial(
    x: &[Vec<f64>],
    y: &[usize],
    wt: Option<&[f64]>,
    alpha: f64,
) -> Result<Predictor, String> {
    let mut classes: Vec<usize> = y.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let p = x.first().map_or(0, Vec::len);
    match classes.len() {
        0 => Err("no labelled sessions".into()),
        1 => Ok(Predictor::Multinomial {
            classes,
            w: vec![vec![0.0; p]],
            b: vec![0.0],
        }),
        k => {
            let yi: Vec<usize> = y
                .iter()
                .map(|c| classes.binary_search(c).unwrap_or(0))
                .collect();
            let (w, b) = softmax_fit(x, &yi, wt, k, alpha);
            Ok(Predictor::Multinomial { classes, w, b })
        }
    }
}

/// A binary logistic regression: weights and intercept of P(true).
fn binary(
    x: &[Vec<f64>],
    y: &[bool],
    wt: Option<&[f64]>,
    alpha: f64,
) -> Result<(Vec<f64>, f64), String> {
    let p = x.first().map_or(0, Vec::len);
    let pos = y.iter().filter(|b| **b).count();
    if pos == 0 || pos == y.len() {
        // One class only: a constant, shrunk away from certainty (add-one smoothing).
        let rate = (pos as f64 + 1.0) / (y.len() as f64 + 2.0);
        return Ok((vec![0.0; p], (rate / (1.0 - rate)).ln()));
    }
    let yi: Vec<usize> = y.iter().map(|b| usize::from(*b)).collect();
    let (w, b) = softmax_fit(x, &yi, wt, 2, alpha);
    // Two-class softmax → one logit: (w1 − w0) · x + (b1 − b0).
    let wd = w[1].iter().zip(&w[0]).map(|(a, c)| a - c).collect();
    Ok((wd, b[1] - b[0]))
}

/// Penalised softmax regression: minimise −Σ log p(y_i | x_i) + alpha/2 · ‖W‖² over W (k×p)
/// and unpenalised intercepts b (k).
fn softmax_fit(
    x: &[Vec<f64>],
    y: &[usize],
    wt: Option<&[f64]>,
    k: usize,
    alpha: f64,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let p = x.first().map_or(0, Vec::len);
    let stride = p + 1; // weights then intercept, per class
    let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut loss = 0.0;
        let mut z = vec![0.0; k];
        for (i, (xi, yi)) in x.iter().zip(y).enumerate() {
            let wi = wt.map_or(1.0, |w| w[i]);
            for (c, zc) in z.iter_mut().enumerate() {
                let row = &theta[c * stride..(c + 1) * stride];
                *zc = dot(&row[..p], xi) + row[p];
            }
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut s = 0.0;
            for zc in z.iter_mut() {
                *zc = (*zc - m).exp();
                s += *zc;
            }
            loss -= wi * (z[*yi] / s).ln();
            for (c, zc) in z.iter().enumerate() {
                let r = wi * (zc / s - f64::from(u8::from(c == *yi)));
                let g = &mut grad[c * stride..(c + 1) * stride];
                for (gj, xj) in g[..p].iter_mut().zip(xi) {
                    *gj += r * xj;
                }
                g[p] += r;
            }
        }
        for c in 0..k {
            let row = &theta[c * stride..c * stride + p];
            let g = &mut grad[c * stride..c * stride + p];
            for (gj, wj) in g.iter_mut().zip(row) {
                *gj += alpha * wj;
                loss += 0.5 * alpha * wj * wj;
            }
        }
        loss
    };
    let theta = lbfgs::minimize(objective, vec![0.0; k * stride], &lbfgs::Options::default());
    let w = (0..k)
        .map(|c| theta[c * stride..c * stride + p].to_vec())
        .collect();
    let b = (0..k).map(|c| theta[c * stride + p]).collect();
    (w, b)
}

fn ordinal(
    x: &[Vec<f64>],
    y: &[usize],
    wt: Option<&[f64]>,
    alpha: f64,
    order: &dyn Fn(usize) -> Option<i32>,
) -> Result<Predictor, String> {
    let rows: Vec<(usize, i32)> = y
        .iter()
        .enumerate()
        .filter_map(|(i, c)| order(*c).map(|l| (i, l)))
        .collect();
    if rows.is_empty() {
        return Err("no labelled sessions on the scale".into());
    }
    let xs: Vec<Vec<f64>> = rows.iter().map(|(i, _)| x[*i].clone()).collect();
    let ws: Option<Vec<f64>> = wt.map(|w| rows.iter().map(|(i, _)| w[*i]).collect());
    let mut classes: Vec<(i32, usize)> = rows.iter().map(|(i, l)| (*l, y[*i])).collect();
    classes.sort_unstable();
    classes.dedup();
    let mut w = Vec::new();
    let mut b = Vec::new();
    for cut in classes.iter().take(classes.len().saturating_sub(1)) {
        let above: Vec<bool> = rows.iter().map(|(_, l)| *l > cut.0).collect();
        let (wj, bj) = binary(&xs, &above, ws.as_deref(), alpha)?;
        w.push(wj);
        b.push(bj);
    }
    if w.is_empty() {
        let p = x.first().map_or(0, Vec::len);
        return Ok(Predictor::Multinomial {
            classes: vec![classes[0].1],
            w: vec![vec![0.0; p]],
            b: vec![0.0],
        });
    }
    Ok(Predictor::Ordinal {
        classes: classes.into_iter().map(|(_, c)| c).collect(),
        w,
        b,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three separable groups along two features.
    fn toy() -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..30 {
            let c = i % 3;
            let jitter = (i as f64 * 0.37).sin() * 0.2;
            x.push(vec![c as f64 + jitter, -(c as f64) + jitter, jitter]);
            y.push(c * 2); // classes 0, 2, 4 (1 and 3 never seen)
        }
        (x, y)
    }

    #[test]
    fn multinomial_learns_separable_classes_and_is_deterministic() {
        let (x, y) = toy();
        let spec = Spec {
            kind: Kind::Multinomial,
            alpha: 0.1,
            set: FeatureSet::Structure,
        };
        let m = fit(&x, &y, None, spec, &|_| None).unwrap();
        assert_eq!(m.classes(), &[0, 2, 4]);
        for (xi, yi) in x.iter().zip(&y) {
            let (c, p) = m.predict(xi);
            assert_eq!(c, *yi);
            assert!(p > 0.5 && p <= 1.0);
        }
        let probs: f64 = m.proba(&x[0]).iter().map(|(_, p)| p).sum();
        assert!((probs - 1.0).abs() < 1e-9);
        assert_eq!(
            m,
            fit(&x, &y, None, spec, &|_| None).unwrap(),
            "same data, same model"
        );
        // Stronger regularisation flattens the probabilities.
        let flat = fit(
            &x,
            &y,
            None,
            Spec {
                alpha: 1000.0,
                ..spec
            },
            &|_| None,
        )
        .unwrap();
        assert!(flat.predict(&x[0]).1 < m.predict(&x[0]).1);
    }

    #[test]
    fn binary_and_single_class_cases() {
        let (x, y) = toy();
        let y2: Vec<usize> = y.iter().map(|c| usize::from(*c > 0)).collect();
        let m = fit(
            &x,
            &y2,
            None,
            Spec {
                kind: Kind::Multinomial,
                alpha: 0.1,
                set: FeatureSet::Structure,
            },
            &|_| None,
        )
        .unwrap();
        assert_eq!(m.predict(&x[0]).0, 0);
        assert_eq!(m.predict(&x[1]).0, 1);
        let one = fit(
            &x,
            &vec![3; x.len()],
            None,
            Spec {
                kind: Kind::Multinomial,
                alpha: 1.0,
                set: FeatureSet::Structure,
            },
            &|_| None,
        )
        .unwrap();
        assert_eq!(one.predict(&x[5]), (3, 1.0));
        assert!(fit(
            &[],
            &[],
            None,
            Spec {
                kind: Kind::Multinomial,
                alpha: 1.0,
                set: FeatureSet::Structure
            },
            &|_| None
        )
        .is_err());
    }

    #[test]
    fn ordinal_orders_levels_and_skips_unscaled_classes() {
        let (mut x, mut y) = toy();
        // Class 5 is off the scale (like "Unclear"): left out of the ordinal fit.
        x.push(vec![9.0, 9.0, 9.0]);
        y.push(5);
        let order = |c: usize| (c != 5).then_some(c as i32);
        let m = fit(
            &x,
            &y,
            None,
            Spec {
                kind: Kind::Ordinal,
                alpha: 0.1,
                set: FeatureSet::Structure,
            },
            &order,
        )
        .unwrap();
        assert_eq!(m.classes(), &[0, 2, 4]);
        let mut right = 0;
        for (xi, yi) in x.iter().zip(&y).take(30) {
            right += usize::from(m.predict(xi).0 == *yi);
            let s: f64 = m.proba(xi).iter().map(|(_, p)| p).sum();
            assert!((s - 1.0).abs() < 1e-9);
        }
        assert!(right >= 27, "{right}/30");
    }
}
