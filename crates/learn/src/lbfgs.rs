//! Limited-memory BFGS for smooth convex objectives (Nocedal & Wright, algorithm 7.4/7.5),
//! with a backtracking Armijo line search. Deterministic: fixed start, fixed order of
//! operations, no randomness.

/// Stopping rules.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// History pairs kept.
    pub memory: usize,
    pub max_iter: usize,
    /// Stop when the largest gradient component is below this.
    pub grad_tol: f64,
    /// Stop when an iteration lowers the objective by less than this share of its value.
    pub rel_tol: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            memory: 8,
            max_iter: 200,
            grad_tol: 1e-4,
            rel_tol: 1e-7,
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimise `f` (which returns the value and writes the gradient) from `x0`.
pub fn minimize<F>(mut f: F, x0: Vec<f64>, o: &Options) -> Vec<f64>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho: Vec<f64> = Vec::new();
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    for _ in 0..o.max_iter {
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) < o.grad_tol {
            break;
        }
        // Two-loop recursion: d = −H g.
        let mut q = g.clone();
        let mut a = vec![0.0; s_hist.len()];
        for i in (0..s_hist.len()).rev() {
            a[i] = rho[i] * dot(&s_hist[i], &q);
            for (qj, yj) in q.iter_mut().zip(&y_hist[i]) {
                *qj -= a[i] * yj;
            }
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y).max(1e-300),
            _ => 1.0 / g.iter().map(|v| v.abs()).fold(1.0f64, f64::max),
        };
        for qj in q.iter_mut() {
            *qj *= gamma;
        }
        for i in 0..s_hist.len() {
            let beta = rho[i] * dot(&y_hist[i], &q);
            for (qj, sj) in q.iter_mut().zip(&s_hist[i]) {
                *qj += (a[i] - beta) * sj;
            }
        }
        let mut d: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart along −g.
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            d = g.iter().map(|v| -v).collect();
            slope = dot(&g, &d);
        }
        // Backtracking Armijo line search.
        let mut step = 1.0;
        let mut f_new;
        let mut tries = 0;
        loop {
            for j in 0..n {
                x_new[j] = x[j] + step * d[j];
            }
            f_new = f(&x_new, &mut g_new);
            if f_new.is_finite() && f_new <= fx + 1e-4 * step * slope {
                break;
            }
            step *= 0.5;
            tries += 1;
            if tries > 40 {
                return x;
            }
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        let decrease = fx - f_new;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        fx = f_new;
        if sy > 1e-12 {
            if s_hist.len() == o.memory {
                s_hist.remove(0);
                y_hist.remove(0);
                rho.remove(0);
            }
            s_hist.push(s);
            y_hist.push(yv);
            rho.push(1.0 / sy);
        }
        if decrease <= o.rel_tol * fx.abs().max(1.0) {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_a_badly_scaled_quadratic_and_rosenbrock() {
        // f = Σ c_i (x_i − i)², minimum at x_i = i.
        let c = [1.0, 10.0, 100.0, 0.1];
        let quad = |x: &[f64], g: &mut [f64]| {
            let mut f = 0.0;
            for i in 0..4 {
                let d = x[i] - i as f64;
                f += c[i] * d * d;
                g[i] = 2.0 * c[i] * d;
            }
            f
        };
        let o = Options {
            grad_tol: 1e-9,
            rel_tol: 0.0,
            max_iter: 500,
            ..Default::default()
        };
        let x = minimize(quad, vec![0.0; 4], &o);
        for (i, v) in x.iter().enumerate() {
            assert!((v - i as f64).abs() < 1e-6, "{x:?}");
        }
        let rosen = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let x = minimize(rosen, vec![-1.2, 1.0], &o);
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4,
            "{x:?}"
        );
    }
}
