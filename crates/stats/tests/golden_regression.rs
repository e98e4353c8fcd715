//! Golden tests: our FE OLS / CR1 / margins / clustered shares against pyfixest and statsmodels;
//! and personal mode (one person, the session as the unit): HC1 regressions with fixed effects,
//! margins, the HC1 mean and the Wilson share.
//! References come from scripts/golden/generate.py (pinned versions); must match to 1e-6 relative.

use agentstat_stats::descriptive::{clustered_mean, session_mean, session_share};
use agentstat_stats::regression::{fit, Design, Factor, Fit, FitOptions, Vcov};
use serde_json::Value;
use std::collections::HashMap;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const RTOL: f64 = 1e-6;

struct Csv {
    cols: HashMap<String, Vec<f64>>,
}

impl Csv {
    fn load(name: &str) -> Csv {
        let path = format!("{DATA}/{name}.csv");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let mut cols: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
        for (ln, line) in lines.enumerate() {
            for (j, field) in line.split(',').enumerate() {
                let v = field
                    .parse::<f64>()
                    .unwrap_or_else(|e| panic!("{path}:{}: {field:?}: {e}", ln + 2));
                cols[j].push(v);
            }
        }
        Csv {
            cols: header.into_iter().zip(cols).collect(),
        }
    }

    fn col(&self, name: &str) -> &[f64] {
        self.cols
            .get(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    fn codes(&self, name: &str) -> Vec<u32> {
        self.col(name).iter().map(|&v| v as u32).collect()
    }

    fn factor(&self, name: &str) -> Factor {
        Factor::from_codes(name, &self.codes(name))
    }
}

fn refs() -> Value {
    refs_from("golden_refs.json")
}

fn refs_from(file: &str) -> Value {
    let path = format!("{DATA}/{file}");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap()
}

fn close(what: &str, got: f64, want: f64) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        err <= RTOL || (got - want).abs() < 1e-13,
        "{what}: got {got:.15e}, want {want:.15e} (rel err {err:.2e})"
    );
}

fn floats(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn names(v: &Value) -> Vec<String> {
    v["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let s = x.as_str().unwrap();
            if s == "Intercept" {
                "(Intercept)".to_string()
            } else {
                s.to_string()
            }
        })
        .collect()
}

/// Fits `xs | fes` on `csv` (CR1 by user) and compares every reported number with the reference.
fn check(label: &str, csv: &Csv, reference: &Value, xs: &[&str], fes: &[&str], full: bool) -> Fit {
    check_vcov(label, csv, reference, xs, fes, full, Vcov::Cr1, "y")
}

/// [`check`] with the variance estimator and the outcome column given.
#[allow(clippy::too_many_arguments)]
fn check_vcov(
    label: &str,
    csv: &Csv,
    reference: &Value,
    xs: &[&str],
    fes: &[&str],
    full: bool,
    vcov: Vcov,
    y: &str,
) -> Fit {
    let factors: Vec<Factor> = fes
        .iter()
        .map(|f| match f.split_once('^') {
            Some((a, b)) => Factor::interact(f, &csv.factor(a), &csv.factor(b)),
            None => csv.factor(f),
        })
        .collect();
    let cluster = csv.codes("user");
    let design = Design {
        y: csv.col(y),
        x: xs.iter().map(|x| (x.to_string(), csv.col(x))).collect(),
        fixed_effects: factors.iter().collect(),
        cluster: &cluster,
        intercept: true,
    };
    let opts = FitOptions {
        vcov,
        ..FitOptions::default()
    };
    let f = fit(&design, &opts).unwrap_or_else(|e| panic!("{label}: {e}"));
    let want_names = names(reference);
    let got_names: Vec<String> = f.coefs.iter().map(|c| c.name.clone()).collect();
    assert_eq!(got_names, want_names, "{label}: coefficient names");
    assert_eq!(
        f.n_obs as u64,
        reference["n_obs"].as_u64().unwrap(),
        "{label}: n_obs"
    );
    let (coef, se) = (floats(reference, "coef"), floats(reference, "se"));
    for (j, c) in f.coefs.iter().enumerate() {
        close(&format!("{label} {} coef", c.name), c.estimate, coef[j]);
        close(&format!("{label} {} se", c.name), c.se, se[j]);
    }
    if full {
        if vcov == Vcov::Cr1 {
            assert_eq!(
                f.n_clusters as u64,
                reference["n_clusters"].as_u64().unwrap(),
                "{label}: G"
            );
        }
        let collinear: Vec<String> = reference["collinear"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        assert_eq!(f.collinear, collinear, "{label}: collinear");
        let (t, p) = (floats(reference, "t"), floats(reference, "p"));
        let (lo, hi) = (floats(reference, "ci_low"), floats(reference, "ci_high"));
        for (j, c) in f.coefs.iter().enumerate() {
            close(&format!("{label} {} t", c.name), c.t, t[j]);
            close(&format!("{label} {} p", c.name), c.p_value, p[j]);
            close(&format!("{label} {} ci_low", c.name), c.ci_low, lo[j]);
            close(&format!("{label} {} ci_high", c.name), c.ci_high, hi[j]);
        }
    }
    f
}

fn check_margins(label: &str, f: &Fit, reference: &Value) {
    let margins = reference["margins"]
        .as_object()
        .expect("margins in reference");
    assert!(!margins.is_empty());
    for (level, m) in margins {
        let set: Vec<(&str, f64)> = m["set"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_f64().unwrap()))
            .collect();
        let got = f.margin(&set);
        close(
            &format!("{label} {level} margin"),
            got.estimate,
            m["estimate"].as_f64().unwrap(),
        );
        close(
            &format!("{label} {level} margin se"),
            got.se,
            m["se"].as_f64().unwrap(),
        );
    }
}

fn run_dataset(name: &str) {
    let csv = Csv::load(name);
    let all = refs();
    let r = &all[name];
    assert!(r.is_object(), "no references for {name}");

    check(
        &format!("{name} fe_mode_band_month"),
        &csv,
        &r["fe_mode_band_month"],
        &["expertise", "ln_calls", "ln_turns", "collin"],
        &["mode^band", "month"],
        true,
    );
    check(
        &format!("{name} fe_all_a1"),
        &csv,
        &r["fe_all_a1"],
        &["expertise", "ln_calls", "ln_turns", "month_trend"],
        &["mode^band", "month", "occ_work", "occ_prof", "tier_len"],
        true,
    );
    let f = check(
        &format!("{name} fe_levels"),
        &csv,
        &r["fe_levels"],
        &["lvl2", "lvl3", "lvl4", "lvl5"],
        &["mode^band", "month", "occ_work"],
        true,
    );
    // Adjusted rates per level: point estimates = mean of pyfixest's own predictions with the
    // fixed effects (an independent computation); SEs = our delta-method convention.
    check_margins(&format!("{name} fe_levels"), &f, &r["fe_levels"]);
    check(
        &format!("{name} fe_nested_user"),
        &csv,
        &r["fe_nested_user"],
        &["expertise", "ln_calls"],
        &["user_half", "month"],
        true,
    );
    check(
        &format!("{name} ols_pyfixest"),
        &csv,
        &r["ols_pyfixest"],
        &["expertise", "ln_calls", "ln_turns"],
        &[],
        true,
    );

    // Plain OLS against statsmodels, with predictive margins (delta method on the CR1 vcov).
    for (model, xs) in [
        (
            "ols_statsmodels_levels",
            &["lvl2", "lvl3", "lvl4", "lvl5", "ln_calls"][..],
        ),
        ("ols_statsmodels_linear", &["expertise", "ln_turns"][..]),
    ] {
        let reference = &r[model];
        let f = check(&format!("{name} {model}"), &csv, reference, xs, &[], false);
        check_margins(&format!("{name} {model}"), &f, reference);
    }

    // A share with a user-clustered CI = pyfixest `y ~ 1` with CRV1.
    let users = csv.codes("user");
    let m = clustered_mean(csv.col("y"), &users).unwrap();
    let c = &r["const_share"];
    close(&format!("{name} share"), m.mean, floats(c, "coef")[0]);
    close(&format!("{name} share se"), m.se, floats(c, "se")[0]);
    close(
        &format!("{name} share ci_low"),
        m.ci_low,
        floats(c, "ci_low")[0],
    );
    close(
        &format!("{name} share ci_high"),
        m.ci_high,
        floats(c, "ci_high")[0],
    );
    assert_eq!(m.n_clusters as u64, c["n_clusters"].as_u64().unwrap());
}

#[test]
fn golden_a_matches_pyfixest_and_statsmodels() {
    run_dataset("golden_a");
}

#[test]
fn golden_b_matches_pyfixest_and_statsmodels() {
    run_dataset("golden_b");
}

#[test]
fn golden_c_nearly_confounded_fixed_effects() {
    run_dataset("golden_c");
}

/// Personal mode: one person's 160 sessions (no Novice level, heteroskedastic errors, a
/// singleton month, a collinear column). HC1 with fixed effects against pyfixest
/// `vcov="hetero"` (coefficients, SEs, t, p and CIs from t(n − df_k)), against statsmodels HC1
/// with the fixed effect as dummies, margins on the HC1 vcov with the lowest level present as
/// reference, the session mean (HC1, t(n−1)) and the Wilson share.
#[test]
fn golden_personal_matches_pyfixest_hetero_and_statsmodels_hc1() {
    let csv = Csv::load("golden_personal");
    let r = refs_from("golden_personal_refs.json");
    let hc1 = |label: &str, xs: &[&str], fes: &[&str], y: &str| {
        let label = format!("personal {label}");
        check_vcov(
            &label,
            &csv,
            &r[label.trim_start_matches("personal ")],
            xs,
            fes,
            true,
            Vcov::Hc1,
            y,
        )
    };
    let f = hc1(
        "fe_hc1",
        &["expertise", "ln_calls", "ln_turns", "collin"],
        &["mode^band", "month"],
        "y",
    );
    assert_eq!(f.n_clusters, 1, "one person: one user in the sample");
    assert_eq!(
        f.df_t,
        f.n_obs - f.df_k,
        "HC1: t with n − df_k degrees of freedom"
    );
    let f = hc1(
        "fe_levels_hc1",
        &["lvl3", "lvl4", "lvl5"],
        &["mode^band", "month", "occ_work"],
        "y",
    );
    check_margins("personal fe_levels_hc1", &f, &r["fe_levels_hc1"]);
    hc1(
        "loglinear_hc1",
        &["expertise"],
        &["mode^band", "month", "occ_work"],
        "ln_apt",
    );
    hc1("ols_hc1", &["expertise", "ln_calls", "ln_turns"], &[], "y");
    check_vcov(
        "personal statsmodels_dummies_hc1",
        &csv,
        &r["statsmodels_dummies_hc1"],
        &["expertise", "ln_calls"],
        &["month"],
        false,
        Vcov::Hc1,
        "y",
    );
    // Clustered on the one person, the same model is not estimable: the reason HC1 exists.
    let cluster = csv.codes("user");
    let design = Design {
        y: csv.col("y"),
        x: vec![("expertise".into(), csv.col("expertise"))],
        fixed_effects: vec![],
        cluster: &cluster,
        intercept: true,
    };
    assert!(fit(&design, &FitOptions::default()).is_err());

    let m = session_mean(csv.col("ln_apt")).unwrap();
    let c = &r["mean_hc1"];
    close("personal mean", m.mean, floats(c, "coef")[0]);
    close("personal mean se", m.se, floats(c, "se")[0]);
    close("personal mean ci_low", m.ci_low, floats(c, "ci_low")[0]);
    close("personal mean ci_high", m.ci_high, floats(c, "ci_high")[0]);

    let flags: Vec<bool> = csv.col("y").iter().map(|&v| v > 0.5).collect();
    let s = session_share(&flags).unwrap();
    let w = &r["share_wilson"];
    close("personal share", s.mean, w["share"].as_f64().unwrap());
    close(
        "personal share ci_low",
        s.ci_low,
        w["ci_low"].as_f64().unwrap(),
    );
    close(
        "personal share ci_high",
        s.ci_high,
        w["ci_high"].as_f64().unwrap(),
    );
}
