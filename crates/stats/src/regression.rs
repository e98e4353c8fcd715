//! Fixed-effect OLS / linear probability models with CR1 cluster-robust or HC1
//! heteroskedasticity-robust standard errors.
//!
//! `y ~ x1 + … + xk | fe1 + fe2 + …`, clustered by user, replicating pyfixest 0.60's `feols`
//! with `vcov={"CRV1": user}` and its defaults (`fixef_rm="singleton"`,
//! `ssc(k_adj=True, k_fixef="nonnested", G_adj=True)`, t distribution with G−1 degrees of
//! freedom); or, with [`Vcov::Hc1`] (one person's sessions: the session is the unit),
//! pyfixest's `vcov="hetero"` — `n/(n−df_k) · Σ x_i x_i' e_i²` sandwiched, t with n − df_k
//! degrees of freedom, the same as statsmodels' `cov_type="HC1"` with the fixed effects as
//! dummies. The fixed effects are absorbed iteratively: conjugate gradient on the symmetric
//! alternating-projection sweep (reghdfe's method; ~√κ sweeps where plain projections need ~κ),
//! columns demeaned in parallel, so a million rows and thousands of FE levels cost seconds.
//! The design has few regressors after absorbing
//! (≤ ~30), so the k×k algebra is a hand-written Cholesky. See docs/STATISTICS.md.

pub mod tdist;

use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

/// A categorical variable: one dense level code (`0..n_levels`) per observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    pub name: String,
    codes: Vec<u32>,
    n_levels: u32,
}

impl Factor {
    /// Codes levels densely in order of first appearance.
    pub fn from_keys<K: Hash + Eq + Clone>(name: &str, keys: &[K]) -> Factor {
        let mut map: HashMap<K, u32> = HashMap::new();
        let codes = keys
            .iter()
            .map(|k| {
                let n = map.len() as u32;
                *map.entry(k.clone()).or_insert(n)
            })
            .collect();
        Factor {
            name: name.to_string(),
            codes,
            n_levels: map.len() as u32,
        }
    }

    /// From arbitrary integer codes (re-coded densely).
    pub fn from_codes(name: &str, codes: &[u32]) -> Factor {
        Factor::from_keys(name, codes)
    }

    /// The interaction `a × b` as one factor (e.g. work mode × value band), with a level per
    /// observed combination only.
    /// Panics if the lengths differ (a caller bug, not a data condition).
    pub fn interact(name: &str, a: &Factor, b: &Factor) -> Factor {
        assert_eq!(
            a.len(),
            b.len(),
            "interacted factors must have the same length"
        );
        let pairs: Vec<u64> = a
            .codes
            .iter()
            .zip(&b.codes)
            .map(|(&x, &y)| (u64::from(x) << 32) | u64::from(y))
            .collect();
        Factor::from_keys(name, &pairs)
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn n_levels(&self) -> usize {
        self.n_levels as usize
    }

    pub fn codes(&self) -> &[u32] {
        &self.codes
    }
}

/// One model: outcome, regressors, absorbed fixed effects and the cluster variable.
#[derive(Debug, Clone)]
pub struct Design<'a> {
    pub y: &'a [f64],
    /// Named regressors (each as long as `y`).
    pub x: Vec<(String, &'a [f64])>,
    /// Absorbed fixed effects (may be empty).
    pub fixed_effects: Vec<&'a Factor>,
    /// Cluster (user) code per observation: CR1 standard errors are clustered on it.
    pub cluster: &'a [u32],
    /// Add an intercept (`(Intercept)`); ignored when fixed effects are absorbed (they contain it).
    pub intercept: bool,
}

/// How the variance of the coefficients is estimated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Vcov {
    /// Cluster-robust CR1 on `Design::cluster` (users): the study's, for data of many people.
    #[default]
    Cr1,
    /// Heteroskedasticity-robust HC1 with every observation its own unit: one person's
    /// sessions, where clustering on the one person is undefined. `Design::cluster` is then
    /// only counted (`Fit::n_clusters`).
    Hc1,
}

/// Numerical options; the defaults are the study's settings.
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    /// The variance estimator.
    pub vcov: Vcov,
    /// Demeaning stops when the CG residual's largest entry is ≤ `tol × max(1, max|column|)`.
    pub tol: f64,
    /// Maximum demeaning iterations per column.
    pub max_iter: usize,
    /// Iteratively drop observations alone in a fixed-effect level (pyfixest `fixef_rm="singleton"`).
    pub drop_singletons: bool,
    /// A regressor is dropped as collinear when its Cholesky pivot falls below
    /// `collin_tol ×` its sum of squares before demeaning (scale-free; pyfixest's 1e-9 is absolute).
    pub collin_tol: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            vcov: Vcov::Cr1,
            tol: 1e-10,
            max_iter: 100_000,
            drop_singletons: true,
            collin_tol: 1e-9,
        }
    }
}

/// Why a model could not be estimated.
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// A column's length differs from `y`'s.
    Length {
        what: String,
        len: usize,
        expected: usize,
    },
    /// Fewer observations than needed after dropping missing values and singletons.
    TooFewObservations { n: usize, k: usize },
    /// Fewer than two clusters: no clustered variance.
    TooFewClusters(usize),
    /// Every regressor is collinear with the fixed effects or each other.
    AllCollinear,
    /// Demeaning did not converge within `max_iter`.
    NotConverged { column: String, iterations: usize },
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::Length {
                what,
                len,
                expected,
            } => {
                write!(f, "column {what} has {len} values, expected {expected}")
            }
            FitError::TooFewObservations { n, k } => {
                write!(
                    f,
                    "{n} usable observations for {k} parameters: model not estimable"
                )
            }
            FitError::TooFewClusters(g) => {
                write!(
                    f,
                    "{g} cluster(s): clustered standard errors need at least 2"
                )
            }
            FitError::AllCollinear => write!(f, "all regressors are collinear"),
            FitError::NotConverged { column, iterations } => {
                write!(
                    f,
                    "demeaning of {column} did not converge in {iterations} iterations"
                )
            }
        }
    }
}

impl std::error::Error for FitError {}

/// One estimated coefficient.
#[derive(Debug, Clone, PartialEq)]
pub struct Coef {
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    pub t: f64,
    pub p_value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// An estimated model.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Kept coefficients, in design order (intercept first when present).
    pub coefs: Vec<Coef>,
    /// Regressors dropped as collinear (with the fixed effects or earlier regressors).
    pub collinear: Vec<String>,
    /// Variance matrix of `coefs` (CR1 or HC1, [`FitOptions::vcov`]), row-major `k × k`.
    pub vcov: Vec<f64>,
    /// Observations used.
    pub n_obs: usize,
    /// Observations dropped for a non-finite `y` or regressor.
    pub n_missing: usize,
    /// Observations dropped as fixed-effect singletons.
    pub n_singletons: usize,
    /// Distinct clusters (users) in the estimation sample.
    pub n_clusters: usize,
    /// Degrees of freedom of the t distribution (G − 1; n − df_k with HC1).
    pub df_t: usize,
    /// Parameters counted in the small-sample factor (pyfixest's `df_k`).
    pub df_k: usize,
    /// Residual degrees of freedom with every fixed-effect level counted as a parameter (as
    /// with dummies): `n` − regressors − (Σ levels − (fixed effects − 1)). The safe-output
    /// rule's measure of a saturated model (docs/STATISTICS.md, "Output classes").
    pub residual_df: usize,
    /// The full small-sample factor `(n−1)/(n−df_k) · G/(G−1)` (`n/(n−df_k)` with HC1).
    pub ssc: f64,
    /// Indices (into the design's rows) of the estimation sample.
    pub sample: Vec<usize>,
    /// Means over the estimation sample of `y` and of every kept regressor (before demeaning).
    pub y_mean: f64,
    pub x_means: Vec<f64>,
    /// Within R² (after absorbing the fixed effects) and residual sum of squares.
    pub r2_within: f64,
    pub rss: f64,
    /// Largest number of demeaning iterations any column needed.
    pub iterations: usize,
    has_fe: bool,
}

/// An adjusted rate (predictive margin) and its delta-method standard error.
#[derive(Debug, Clone, PartialEq)]
pub struct Margin {
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Coef {
    /// As a privacy [`Estimate`](crate::privacy::Estimate) for a results cell.
    pub fn estimate(&self) -> crate::privacy::Estimate {
        crate::privacy::Estimate {
            value: Some(self.estimate),
            se: Some(self.se),
            ci_low: Some(self.ci_low),
            ci_high: Some(self.ci_high),
            p_value: Some(self.p_value),
        }
    }
}

impl Margin {
    /// As a privacy [`Estimate`](crate::privacy::Estimate) for a results cell.
    pub fn estimate(&self) -> crate::privacy::Estimate {
        crate::privacy::Estimate {
            value: Some(self.estimate),
            se: Some(self.se),
            ci_low: Some(self.ci_low),
            ci_high: Some(self.ci_high),
            p_value: None,
        }
    }
}

impl Fit {
    /// The coefficient called `name`, if it was estimated (not dropped).
    pub fn coef(&self, name: &str) -> Option<&Coef> {
        self.coefs.iter().find(|c| c.name == name)
    }

    /// Predictive margin: the mean prediction over the estimation sample with the regressors
    /// in `set` fixed at the given values (e.g. `[("expertise", 3.0)]`, or for indicators
    /// `[("lvl2", 0.0), ("lvl3", 1.0), …]`), all others at their observed values.
    ///
    /// With absorbed fixed effects the prediction is `ȳ + Σ_j b_j (v_j − x̄_j)` (fitted values
    /// average to ȳ) and its delta-method SE uses the gradient `v − x̄` on the clustered vcov,
    /// treating the level (the absorbed effects) as given. Without fixed effects it is `x̄(v)'b`
    /// with gradient `x̄(v)` (intercept included), as Stata's and statsmodels' margins do.
    /// Names not among the kept coefficients are ignored.
    pub fn margin(&self, set: &[(&str, f64)]) -> Margin {
        let k = self.coefs.len();
        let mut grad = vec![0.0; k];
        // With absorbed FEs the level is ȳ and only contrasts carry uncertainty; without them
        // the mean prediction is x̄(v)'b (also right when there is no intercept).
        let mut est = if self.has_fe { self.y_mean } else { 0.0 };
        for (j, c) in self.coefs.iter().enumerate() {
            let v = set.iter().find(|(n, _)| *n == c.name).map(|&(_, v)| v);
            grad[j] = if self.has_fe {
                v.map_or(0.0, |v| v - self.x_means[j])
            } else {
                v.unwrap_or(self.x_means[j])
            };
            est += c.estimate * grad[j];
        }
        let mut var = 0.0;
        for a in 0..k {
            for b in 0..k {
                var += grad[a] * self.vcov[a * k + b] * grad[b];
            }
        }
        let se = var.max(0.0).sqrt();
        let q = tdist::quantile(0.975, self.df_t as f64);
        Margin {
            estimate: est,
            se,
            ci_low: est - q * se,
            ci_high: est + q * se,
        }
    }
}

/// Estimates `design` by OLS with absorbed fixed effects and CR1 (or HC1) standard errors.
pub fn fit(design: &Design, opts: &FitOptions) -> Result<Fit, FitError> {
    let n_all = design.y.len();
    check_len("cluster", design.cluster.len(), n_all)?;
    for (name, col) in &design.x {
        check_len(name, col.len(), n_all)?;
    }
    for fe in &design.fixed_effects {
        check_len(&fe.name, fe.len(), n_all)?;
    }

    // 1. Complete cases.
    let mut keep: Vec<bool> = (0..n_all)
        .map(|i| design.y[i].is_finite() && design.x.iter().all(|(_, c)| c[i].is_finite()))
        .collect();
    let n_missing = keep.iter().filter(|k| !**k).count();

    // 2. Singletons, iteratively until none is left.
    let mut n_singletons = 0;
    if opts.drop_singletons && !design.fixed_effects.is_empty() {
        loop {
            let mut dropped = 0;
            for fe in &design.fixed_effects {
                let mut counts = vec![0u32; fe.n_levels()];
                for (i, &c) in fe.codes.iter().enumerate() {
                    if keep[i] {
                        counts[c as usize] += 1;
                    }
                }
                for (i, &c) in fe.codes.iter().enumerate() {
                    if keep[i] && counts[c as usize] == 1 {
                        keep[i] = false;
                        dropped += 1;
                    }
                }
            }
            n_singletons += dropped;
            if dropped == 0 {
                break;
            }
        }
    }
    let sample: Vec<usize> = (0..n_all).filter(|&i| keep[i]).collect();
    let n = sample.len();

    // 3. Dense codes over the sample.
    let fes: Vec<Factor> = design
        .fixed_effects
        .iter()
        .map(|fe| {
            let codes: Vec<u32> = sample.iter().map(|&i| fe.codes[i]).collect();
            Factor::from_codes(&fe.name, &codes)
        })
        .collect();
    let cl_codes: Vec<u32> = sample.iter().map(|&i| design.cluster[i]).collect();
    let cluster = Factor::from_codes("cluster", &cl_codes);
    let g = cluster.n_levels();

    let has_intercept = design.intercept && fes.is_empty();
    let mut names: Vec<String> = Vec::new();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    if has_intercept {
        names.push("(Intercept)".into());
        cols.push(vec![1.0; n]);
    }
    for (name, c) in &design.x {
        names.push(name.clone());
        cols.push(sample.iter().map(|&i| c[i]).collect());
    }
    let y: Vec<f64> = sample.iter().map(|&i| design.y[i]).collect();
    if n == 0 || n <= cols.len() {
        return Err(FitError::TooFewObservations { n, k: cols.len() });
    }
    let y_mean = mean(&y);
    let raw_ss: Vec<f64> = cols.iter().map(|c| c.iter().map(|v| v * v).sum()).collect();
    let raw_means: Vec<f64> = cols.iter().map(|c| mean(c)).collect();

    // 4. Demean y and every regressor (in parallel).
    let demeaner = Demeaner::new(&fes);
    let mut all: Vec<(String, Vec<f64>)> = std::iter::once(("y".to_string(), y))
        .chain(names.iter().cloned().zip(cols))
        .collect();
    let iters: Vec<Result<usize, FitError>> = all
        .par_iter_mut()
        .map(|(name, col)| {
            demeaner
                .demean(col, opts.tol, opts.max_iter)
                .ok_or_else(|| FitError::NotConverged {
                    column: name.clone(),
                    iterations: opts.max_iter,
                })
        })
        .collect();
    let mut iterations = 0;
    for r in iters {
        iterations = iterations.max(r?);
    }
    let yd = all.remove(0).1;
    let xd: Vec<Vec<f64>> = all.into_iter().map(|(_, c)| c).collect();

    // 5. X'X, collinearity (pivot test in design order, as fixest), Cholesky.
    let kall = xd.len();
    let xtx_all = gram(&xd);
    let mut kept: Vec<usize> = Vec::new();
    let mut collinear = Vec::new();
    {
        // Incremental Cholesky: R is upper-triangular over kept columns.
        let mut r: Vec<Vec<f64>> = Vec::new(); // r[kept_idx][col] for col in 0..kall
        for j in 0..kall {
            let mut rjj = xtx_all[j * kall + j];
            for row in &r {
                rjj -= row[j] * row[j];
            }
            if rjj <= opts.collin_tol * raw_ss[j].max(f64::MIN_POSITIVE) || !rjj.is_finite() {
                collinear.push(names[j].clone());
                continue;
            }
            let s = rjj.sqrt();
            let mut row = vec![0.0; kall];
            row[j] = s;
            for i in j + 1..kall {
                let mut v = xtx_all[i * kall + j];
                for prev in &r {
                    v -= prev[i] * prev[j];
                }
                row[i] = v / s;
            }
            r.push(row);
            kept.push(j);
        }
    }
    if kept.is_empty() {
        return Err(FitError::AllCollinear);
    }
    let k = kept.len();
    let x: Vec<&Vec<f64>> = kept.iter().map(|&j| &xd[j]).collect();
    let mut xtx = vec![0.0; k * k];
    for (a, &ja) in kept.iter().enumerate() {
        for (b, &jb) in kept.iter().enumerate() {
            xtx[a * k + b] = xtx_all[ja * kall + jb];
        }
    }
    let xty: Vec<f64> = x.iter().map(|c| dot(c, &yd)).collect();
    let bread = sym_inverse(&xtx, k).ok_or(FitError::AllCollinear)?;
    let beta: Vec<f64> = (0..k)
        .map(|a| (0..k).map(|b| bread[a * k + b] * xty[b]).sum())
        .collect();

    // 6. Residuals and the cluster meat.
    let resid: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| yd[i] - (0..k).map(|a| x[a][i] * beta[a]).sum::<f64>())
        .collect();
    let rss = dot(&resid, &resid);
    let tss = dot(&yd, &yd);
    let hetero = opts.vcov == Vcov::Hc1;
    // Scores summed per unit: the cluster (CR1), or the observation itself (HC1).
    let units = if hetero { n } else { g };
    let mut scores = vec![0.0; units * k];
    for i in 0..n {
        let c = if hetero { i } else { cluster.codes[i] as usize };
        for a in 0..k {
            scores[c * k + a] += x[a][i] * resid[i];
        }
    }
    let mut meat = vec![0.0; k * k];
    for c in 0..units {
        let s = &scores[c * k..(c + 1) * k];
        for a in 0..k {
            for b in 0..k {
                meat[a * k + b] += s[a] * s[b];
            }
        }
    }
    if !hetero && g < 2 {
        return Err(FitError::TooFewClusters(g));
    }

    // 7. Small-sample correction, pyfixest ssc(k_adj=True, k_fixef="nonnested", G_adj=True).
    let k_fe: usize = fes.iter().map(|f| f.n_levels()).sum();
    let n_fe = fes.len();
    let df_k = if n_fe == 0 {
        k
    } else if hetero {
        // No clusters to nest in: every fixed-effect level is a parameter (less the n_fe − 1
        // redundant ones), as with dummies.
        (k as i64 + k_fe as i64 - (n_fe as i64 - 1)).max(0) as usize
    } else {
        // pyfixest: k_fe_adj = Σ levels − (n_fe − 1); FEs nested in the cluster are not
        // counted, except one parameter each. Signed arithmetic: the sum can dip before `+`.
        let k_fe_adj = k_fe as i64 - (n_fe as i64 - 1);
        let nested: Vec<bool> = fes.iter().map(|f| nested_in(f, &cluster)).collect();
        let n_nested = nested.iter().filter(|b| **b).count() as i64;
        let k_fe_nested: i64 = fes
            .iter()
            .zip(&nested)
            .filter(|(_, b)| **b)
            .map(|(f, _)| f.n_levels() as i64)
            .sum();
        (k as i64 + k_fe_adj - k_fe_nested + n_nested).max(0) as usize
    };
    if n <= df_k {
        return Err(FitError::TooFewObservations { n, k: df_k });
    }
    let residual_df = n.saturating_sub(k + k_fe.saturating_sub(n_fe.saturating_sub(1)));
    let ssc = if hetero {
        n as f64 / (n - df_k) as f64
    } else {
        (n as f64 - 1.0) / ((n - df_k) as f64) * (g as f64 / (g as f64 - 1.0))
    };
    let bm = matmul(&bread, &meat, k);
    let mut vcov = matmul(&bm, &bread, k);
    for v in &mut vcov {
        *v *= ssc;
    }

    let df_t = if hetero { n - df_k } else { g - 1 };
    let q = tdist::quantile(0.975, df_t as f64);
    let coefs = kept
        .iter()
        .enumerate()
        .map(|(a, &j)| {
            let se = vcov[a * k + a].max(0.0).sqrt();
            let t = beta[a] / se;
            Coef {
                name: names[j].clone(),
                estimate: beta[a],
                se,
                t,
                p_value: 2.0 * tdist::sf(t.abs(), df_t as f64),
                ci_low: beta[a] - q * se,
                ci_high: beta[a] + q * se,
            }
        })
        .collect();
    Ok(Fit {
        coefs,
        collinear,
        vcov,
        n_obs: n,
        n_missing,
        n_singletons,
        n_clusters: g,
        df_t,
        df_k,
        residual_df,
        ssc,
        sample,
        y_mean,
        x_means: kept.iter().map(|&j| raw_means[j]).collect(),
        r2_within: if tss > 0.0 { 1.0 - rss / tss } else { f64::NAN },
        rss,
        iterations,
        has_fe: !fes.is_empty(),
    })
}

fn check_len(what: &str, len: usize, expected: usize) -> Result<(), FitError> {
    if len == expected {
        Ok(())
    } else {
        Err(FitError::Length {
            what: what.to_string(),
            len,
            expected,
        })
    }
}

/// Whether every level of `fe` lies within a single cluster.
fn nested_in(fe: &Factor, cluster: &Factor) -> bool {
    let mut owner = vec![u32::MAX; fe.n_levels()];
    for (&f, &c) in fe.codes.iter().zip(&cluster.codes) {
        let o = &mut owner[f as usize];
        if *o == u32::MAX {
            *o = c;
        } else if *o != c {
            return false;
        }
    }
    true
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn gram(cols: &[Vec<f64>]) -> Vec<f64> {
    let k = cols.len();
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|a| (a..k).map(move |b| (a, b))).collect();
    let vals: Vec<f64> = pairs
        .par_iter()
        .map(|&(a, b)| dot(&cols[a], &cols[b]))
        .collect();
    let mut m = vec![0.0; k * k];
    for (&(a, b), v) in pairs.iter().zip(vals) {
        m[a * k + b] = v;
        m[b * k + a] = v;
    }
    m
}

fn matmul(a: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    let mut c = vec![0.0; k * k];
    for i in 0..k {
        for l in 0..k {
            let x = a[i * k + l];
            for j in 0..k {
                c[i * k + j] += x * b[l * k + j];
            }
        }
    }
    c
}

/// Inverse of a symmetric positive-definite `k × k` matrix by Cholesky; `None` if not SPD.
pub(crate) fn sym_inverse(m: &[f64], k: usize) -> Option<Vec<f64>> {
    // L lower-triangular with m = L L'.
    let mut l = vec![0.0; k * k];
    for j in 0..k {
        let mut d = m[j * k + j];
        for p in 0..j {
            d -= l[j * k + p] * l[j * k + p];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        l[j * k + j] = d;
        for i in j + 1..k {
            let mut v = m[i * k + j];
            for p in 0..j {
                v -= l[i * k + p] * l[j * k + p];
            }
            l[i * k + j] = v / d;
        }
    }
    // inv(L) by forward substitution, then inv(m) = inv(L)' inv(L).
    let mut li = vec![0.0; k * k];
    for c in 0..k {
        for i in c..k {
            let mut v = if i == c { 1.0 } else { 0.0 };
            for p in c..i {
                v -= l[i * k + p] * li[p * k + c];
            }
            li[i * k + c] = v / l[i * k + i];
        }
    }
    let mut inv = vec![0.0; k * k];
    for a in 0..k {
        for b in 0..=a {
            let v: f64 = (a.max(b)..k).map(|p| li[p * k + a] * li[p * k + b]).sum();
            inv[a * k + b] = v;
            inv[b * k + a] = v;
        }
    }
    Some(inv)
}

/// Alternating projections over several fixed effects.
struct Demeaner<'a> {
    fes: &'a [Factor],
    /// Inverse level counts per fixed effect.
    inv_counts: Vec<Vec<f64>>,
}

impl<'a> Demeaner<'a> {
    fn new(fes: &'a [Factor]) -> Self {
        let inv_counts = fes
            .iter()
            .map(|f| {
                let mut c = vec![0.0f64; f.n_levels()];
                for &l in &f.codes {
                    c[l as usize] += 1.0;
                }
                c.iter()
                    .map(|&v| if v > 0.0 { 1.0 / v } else { 0.0 })
                    .collect()
            })
            .collect();
        Demeaner { fes, inv_counts }
    }

    /// One sweep: subtract each fixed effect's level means in turn.
    fn sweep(&self, v: &mut [f64], sums: &mut [Vec<f64>]) {
        for ((fe, inv), s) in self.fes.iter().zip(&self.inv_counts).zip(sums.iter_mut()) {
            s.iter_mut().for_each(|x| *x = 0.0);
            for (&l, &x) in fe.codes.iter().zip(v.iter()) {
                s[l as usize] += x;
            }
            for (sv, iv) in s.iter_mut().zip(inv) {
                *sv *= iv;
            }
            for (&l, x) in fe.codes.iter().zip(v.iter_mut()) {
                *x -= s[l as usize];
            }
        }
    }

    /// The symmetric sweep T = P₁⊥…P_Q⊥…P₁⊥ (forward then backward), a symmetric operator.
    fn sym_sweep(&self, v: &mut [f64], sums: &mut [Vec<f64>]) {
        let q = self.fes.len();
        let order = (0..q).chain((0..q.saturating_sub(1)).rev());
        for f in order {
            let (fe, inv, s) = (&self.fes[f], &self.inv_counts[f], &mut sums[f]);
            s.iter_mut().for_each(|x| *x = 0.0);
            for (&l, &x) in fe.codes.iter().zip(v.iter()) {
                s[l as usize] += x;
            }
            for (sv, iv) in s.iter_mut().zip(inv) {
                *sv *= iv;
            }
            for (&l, x) in fe.codes.iter().zip(v.iter_mut()) {
                *x -= s[l as usize];
            }
        }
    }

    /// Demeans `v` in place by conjugate gradient on the symmetric-sweep operator (as reghdfe):
    /// with T the symmetric sweep, the FE component u = P_D y solves (I − T) u = y − T y, and
    /// I − T is symmetric positive definite on the FE space, so CG needs ~√κ sweeps where plain
    /// alternating projections need ~κ. Returns sweeps used, `None` if not converged.
    fn demean(&self, v: &mut [f64], tol: f64, max_iter: usize) -> Option<usize> {
        match self.fes.len() {
            0 => return Some(0),
            1 => {
                let mut sums = vec![vec![0.0; self.fes[0].n_levels()]];
                self.sweep(v, &mut sums);
                return Some(1);
            }
            _ => {}
        }
        let scale = v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        let thresh = tol * scale;
        let mut sums: Vec<Vec<f64>> = self.fes.iter().map(|f| vec![0.0; f.n_levels()]).collect();
        // r = b = y − T y; p = r; u = 0 (u accumulated directly into v as v = y − u).
        let mut r = v.to_vec();
        self.sym_sweep(&mut r, &mut sums);
        for (ri, &yi) in r.iter_mut().zip(v.iter()) {
            *ri = yi - *ri;
        }
        let mut p = r.clone();
        let mut ap = vec![0.0; v.len()];
        let mut rr = dot(&r, &r);
        let mut it = 1;
        while it < max_iter {
            if r.iter().fold(0.0f64, |m, x| m.max(x.abs())) <= thresh {
                return Some(it);
            }
            ap.copy_from_slice(&p);
            self.sym_sweep(&mut ap, &mut sums);
            for (a, &pi) in ap.iter_mut().zip(&p) {
                *a = pi - *a;
            }
            it += 1;
            let pap = dot(&p, &ap);
            // Not `pap <= 0.0`: a NaN must stop the iteration too.
            if pap.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                // Exact convergence (p = 0) or loss of definiteness at round-off level.
                return Some(it);
            }
            let alpha = rr / pap;
            for i in 0..v.len() {
                v[i] -= alpha * p[i];
                r[i] -= alpha * ap[i];
            }
            let rr_new = dot(&r, &r);
            let beta = rr_new / rr;
            rr = rr_new;
            for (pi, &ri) in p.iter_mut().zip(&r) {
                *pi = ri + beta * *pi;
            }
        }
        None
    }

    /// Alternating projections with Irons–Tuck acceleration (fixest's method); kept as the
    /// reference implementation the CG solver is tested against.
    #[cfg(test)]
    fn demean_map(&self, v: &mut [f64], tol: f64, max_iter: usize) -> Option<usize> {
        match self.fes.len() {
            0 => return Some(0),
            1 => {
                let mut sums = vec![vec![0.0; self.fes[0].n_levels()]];
                self.sweep(v, &mut sums);
                return Some(1);
            }
            _ => {}
        }
        let scale = v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        let thresh = tol * scale;
        let mut sums: Vec<Vec<f64>> = self.fes.iter().map(|f| vec![0.0; f.n_levels()]).collect();
        let n = v.len();
        let mut f1 = vec![0.0; n];
        let mut f2 = vec![0.0; n];
        let mut it = 0;
        while it < max_iter {
            // x → F(x) → F(F(x)), then the Irons–Tuck extrapolation.
            f1.copy_from_slice(v);
            self.sweep(&mut f1, &mut sums);
            f2.copy_from_slice(&f1);
            self.sweep(&mut f2, &mut sums);
            it += 2;
            let step = f1
                .iter()
                .zip(v.iter())
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            let step2 = f2
                .iter()
                .zip(&f1)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            if step2 <= thresh || step <= thresh {
                v.copy_from_slice(&f2);
                return Some(it);
            }
            let (mut num, mut den) = (0.0, 0.0);
            for i in 0..n {
                let d2 = f2[i] - f1[i];
                let dd = d2 - (f1[i] - v[i]);
                num += d2 * dd;
                den += dd * dd;
            }
            if den > 0.0 && num.is_finite() {
                let c = num / den;
                for i in 0..n {
                    let d2 = f2[i] - f1[i];
                    v[i] = f2[i] - c * d2;
                }
            } else {
                v.copy_from_slice(&f2);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_exact_coefficients_without_noise() {
        // y = 2 x + fe_a + fe_b exactly: coefficient 2, zero residuals.
        let n = 200;
        let a: Vec<u32> = (0..n).map(|i| (i % 7) as u32).collect();
        let b: Vec<u32> = (0..n).map(|i| (i * 13 % 11) as u32).collect();
        let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 17) as f64 / 3.0).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 2.0 * x[i] + a[i] as f64 * 0.5 - b[i] as f64 * 1.5)
            .collect();
        let cl: Vec<u32> = (0..n).map(|i| (i % 20) as u32).collect();
        let fa = Factor::from_codes("a", &a);
        let fb = Factor::from_codes("b", &b);
        let d = Design {
            y: &y,
            x: vec![("x".into(), &x)],
            fixed_effects: vec![&fa, &fb],
            cluster: &cl,
            intercept: true,
        };
        let f = fit(&d, &FitOptions::default()).unwrap();
        assert!((f.coefs[0].estimate - 2.0).abs() < 1e-8, "{:?}", f.coefs);
        assert!(f.rss < 1e-12);
    }

    #[test]
    fn margin_without_intercept_is_the_level_prediction() {
        let x: Vec<f64> = (0..50).map(|i| (i % 9) as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, v)| 2.0 * v + [0.1, -0.1][i % 2])
            .collect();
        let cl: Vec<u32> = (0..50).map(|i| (i % 10) as u32).collect();
        let d = Design {
            y: &y,
            x: vec![("x".into(), &x)],
            fixed_effects: vec![],
            cluster: &cl,
            intercept: false,
        };
        let f = fit(&d, &FitOptions::default()).unwrap();
        let m = f.margin(&[("x", 3.0)]);
        assert!((m.estimate - 3.0 * f.coefs[0].estimate).abs() < 1e-12);
        assert!((m.se - 3.0 * f.coefs[0].se).abs() < 1e-12);
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let y = [1.0, 2.0];
        let x = [1.0];
        let d = Design {
            y: &y,
            x: vec![("x".into(), &x)],
            fixed_effects: vec![],
            cluster: &[0, 1],
            intercept: true,
        };
        assert!(matches!(
            fit(&d, &FitOptions::default()),
            Err(FitError::Length { .. })
        ));
    }

    proptest::proptest! {
        /// Whatever the data (NaN, constant columns, one cluster, all singletons, tiny n),
        /// `fit` returns a result or an error, never panics, and a fit has finite SEs.
        #[test]
        fn never_panics(
            rows in proptest::collection::vec(
                (proptest::option::of(-5.0f64..5.0), -3.0f64..3.0, 0u32..4, 0u32..6, 0u32..5, 0u32..3),
                0..40),
            intercept in proptest::bool::ANY,
            n_fe in 0usize..3,
        ) {
            let y: Vec<f64> = rows.iter().map(|r| r.0.unwrap_or(f64::NAN)).collect();
            let x1: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let x2: Vec<f64> = rows.iter().map(|r| f64::from(r.5)).collect();
            let fa = Factor::from_codes("a", &rows.iter().map(|r| r.2).collect::<Vec<_>>());
            let fb = Factor::from_codes("b", &rows.iter().map(|r| r.3).collect::<Vec<_>>());
            let cl: Vec<u32> = rows.iter().map(|r| r.4).collect();
            let fes = [&fa, &fb];
            let d = Design {
                y: &y,
                x: vec![("x1".into(), &x1), ("x2".into(), &x2)],
                fixed_effects: fes[..n_fe].to_vec(),
                cluster: &cl,
                intercept,
            };
            if let Ok(f) = fit(&d, &FitOptions::default()) {
                proptest::prop_assert!(!f.coefs.is_empty());
                for c in &f.coefs {
                    proptest::prop_assert!(c.estimate.is_finite());
                    proptest::prop_assert!(!c.se.is_nan() || f.n_clusters < 2);
                }
                let _ = f.margin(&[("x1", 1.0)]);
            }
        }
    }

    #[test]
    fn cg_matches_alternating_projections_on_confounded_effects() {
        // Three nearly nested factors: slow for plain projections.
        let n = 3000;
        let a: Vec<u32> = (0..n).map(|i| (i % 40) as u32).collect();
        let b: Vec<u32> = (0..n)
            .map(|i| {
                if i % 13 == 0 {
                    (i % 7) as u32
                } else {
                    (i % 40 / 2) as u32
                }
            })
            .collect();
        let c: Vec<u32> = (0..n)
            .map(|i| {
                if i % 17 == 0 {
                    (i % 5) as u32
                } else {
                    (i % 40 / 4) as u32
                }
            })
            .collect();
        let fes = [
            Factor::from_codes("a", &a),
            Factor::from_codes("b", &b),
            Factor::from_codes("c", &c),
        ];
        let d = Demeaner::new(&fes);
        let y: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f64 / 100.0 + (i % 40) as f64)
            .collect();
        let (mut v1, mut v2) = (y.clone(), y.clone());
        let it_cg = d.demean(&mut v1, 1e-13, 100_000).unwrap();
        let it_map = d.demean_map(&mut v2, 1e-13, 100_000).unwrap();
        let err = v1
            .iter()
            .zip(&v2)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
        assert!(
            err < 1e-9,
            "max diff {err}, cg {it_cg} sweeps, map {it_map}"
        );
        // Demeaned: every level mean of every factor is zero.
        for fe in &fes {
            let mut s = vec![0.0; fe.n_levels()];
            for (&l, &x) in fe.codes().iter().zip(&v1) {
                s[l as usize] += x;
            }
            assert!(s.iter().all(|x| x.abs() < 1e-8), "{s:?}");
        }
    }

    #[test]
    fn interaction_levels_are_combinations() {
        let a = Factor::from_codes("a", &[0, 0, 1, 1]);
        let b = Factor::from_codes("b", &[0, 1, 0, 1]);
        assert_eq!(Factor::interact("ab", &a, &b).n_levels(), 4);
        let b = Factor::from_codes("b", &[0, 0, 1, 1]);
        assert_eq!(Factor::interact("ab", &a, &b).n_levels(), 2);
    }
}
