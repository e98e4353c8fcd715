#!/usr/bin/env python3
"""Golden references for agentstat-stats' regressions and clustered shares.

Generates small facets-shaped datasets (clustered users, several fixed effects including an
interaction, unbalanced cells, singletons, a collinear column, an FE nested in users) as CSV and
the reference estimates as JSON into crates/stats/tests/data/:

- pyfixest 0.60 `feols(..., vcov={"CRV1": "user"}, fixef_rm="singleton")` with its default
  small-sample correction ssc(k_adj=True, k_fixef="nonnested", G_adj=True) and t(G-1)
  inference; demeaning tolerance tightened to 1e-13 so the references are exact to ~1e-10;
- statsmodels OLS with cov_type="cluster" (CR1: G/(G-1)·(N-1)/(N-K)) for the plain OLS path,
  plus predictive margins with delta-method SEs computed from statsmodels' vcov;
- personal mode (one person, the session is the unit: golden_personal.csv and
  golden_personal_refs.json): pyfixest `feols(..., vcov="hetero")` (HC1: N/(N-K), t(N-K)) with
  fixed effects, statsmodels `cov_type="HC1"` with the fixed effects as dummies, the HC1 mean
  and the Wilson interval of a share (statsmodels `proportion_confint(method="wilson")`).

Run (versions pinned in requirements.txt):
    python3 -m venv /tmp/golden-venv && /tmp/golden-venv/bin/pip install -r scripts/golden/requirements.txt
    /tmp/golden-venv/bin/python scripts/golden/generate.py
Deterministic (fixed seeds): re-running rewrites identical files.
"""

import json
import os
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import statsmodels.formula.api as smf

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "stats", "tests", "data")
FIXEF_TOL = 1e-13


def facets_like(seed: int, n_users: int, n_rows: int) -> pd.DataFrame:
    """Sessions of users with very unequal activity, shaped like the facets table."""
    rng = np.random.default_rng(seed)
    activity = rng.pareto(1.2, n_users) + 0.2
    user = rng.choice(n_users, size=n_rows, p=activity / activity.sum())
    skill = rng.normal(0, 1, n_users)
    # Skewed categorical draws so some levels are rare (singletons after crossing).
    def skewed(k, size, a=1.0):
        p = rng.dirichlet(np.full(k, a))
        return rng.choice(k, size=size, p=p)

    mode = skewed(9, n_rows, 0.8)
    band = skewed(4, n_rows, 2.0)
    month = skewed(14, n_rows, 1.5)
    occ_work = skewed(23, n_rows, 0.4)
    # The user profile mostly follows the user (people have one profession).
    prof_of_user = skewed(24, n_users, 0.6)
    occ_prof = np.where(rng.random(n_rows) < 0.85, prof_of_user[user], skewed(24, n_rows, 0.6))
    tier_len = skewed(12, n_rows, 1.0)
    expertise = np.clip(np.round(3 + 0.8 * skill[user] + rng.normal(0, 0.8, n_rows)), 1, 5)
    ln_calls = np.log1p(rng.poisson(np.exp(1.5 + 0.2 * expertise + rng.normal(0, 0.5, n_rows))))
    ln_turns = np.log1p(rng.poisson(np.exp(0.8 + rng.normal(0, 0.6, n_rows))))
    latent = (
        -0.4 + 0.05 * expertise + 0.03 * ln_calls - 0.02 * ln_turns + 0.1 * skill[user]
        + 0.04 * (mode % 3) - 0.03 * band + 0.01 * (month % 5) + rng.normal(0, 0.5, n_rows)
    )
    y = (latent > 0).astype(float)
    df = pd.DataFrame(
        {
            "user": user,
            "mode": mode,
            "band": band,
            "month": month,
            "occ_work": occ_work,
            "occ_prof": occ_prof,
            "tier_len": tier_len,
            "expertise": expertise,
            "ln_calls": ln_calls,
            "ln_turns": ln_turns,
            "y": y,
        }
    )
    for lvl in (2, 3, 4, 5):
        df[f"lvl{lvl}"] = (df["expertise"] == lvl).astype(float)
    # Exactly collinear with earlier regressors: must be reported and dropped.
    df["collin"] = 2.0 * df["expertise"] - 0.5 * df["ln_turns"]
    # Constant within month: absorbed by the month fixed effect, must be dropped.
    df["month_trend"] = (df["month"] * 0.37) % 1.0
    # A fixed effect nested in users (user × half of the rows): excluded from k by "nonnested".
    df["user_half"] = df["user"] * 2 + (np.arange(n_rows) % 2)
    # A single-row month and a single-row occupation: singleton fodder.
    df.loc[n_rows - 1, "month"] = 99
    df.loc[n_rows - 2, "occ_work"] = 77
    return df


def pyfixest_ref(df: pd.DataFrame, fml: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(
            fml,
            data=df,
            vcov={"CRV1": "user"},
            fixef_rm="singleton",
            fixef_tol=FIXEF_TOL,
            ssc=pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True),
        )
    tidy = fit.tidy()
    return {
        "formula": fml,
        "engine": f"pyfixest {pf.__version__}",
        "names": list(tidy.index),
        "coef": tidy["Estimate"].tolist(),
        "se": tidy["Std. Error"].tolist(),
        "t": tidy["t value"].tolist(),
        "p": tidy["Pr(>|t|)"].tolist(),
        "ci_low": tidy["2.5%"].tolist(),
        "ci_high": tidy["97.5%"].tolist(),
        "n_obs": int(fit._N),
        "n_clusters": int(fit._G[0]),
        "collinear": list(getattr(fit, "_collin_vars", []) or []),
        "vcov": np.asarray(fit._vcov).tolist(),
    }


def fe_margins(df: pd.DataFrame, fml: str, settings: dict) -> dict:
    """Adjusted rates after a FE model: the mean of pyfixest's own predictions (fixed effects
    included) over the estimation sample with the regressors set; SE by the delta method with
    gradient v - x̄ on pyfixest's CR1 vcov (our documented convention, docs/STATISTICS.md)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(fml, data=df, vcov={"CRV1": "user"}, fixef_rm="singleton", fixef_tol=FIXEF_TOL)
        sample = fit._data
        names = list(fit.coef().index)
        V = np.asarray(fit._vcov)
        out = {}
        for label, setting in settings.items():
            cf = sample.copy()
            for k, v in setting.items():
                cf[k] = v
            pred = np.asarray(fit.predict(newdata=cf, atol=1e-14, btol=1e-14))
            g = np.array([setting.get(n, sample[n].mean()) - sample[n].mean() for n in names])
            out[label] = {"set": setting, "estimate": float(pred.mean()), "se": float(np.sqrt(g @ V @ g))}
    return out


def statsmodels_ref(df: pd.DataFrame, fml: str, margins: dict) -> dict:
    fit = smf.ols(fml, data=df).fit(cov_type="cluster", cov_kwds={"groups": df["user"]})
    names = list(fit.params.index)
    V = fit.cov_params().to_numpy()
    xbar = {n: (1.0 if n == "Intercept" else float(df[n].mean())) for n in names}
    out_margins = {}
    for label, setting in margins.items():
        g = np.array([setting.get(n, xbar[n]) for n in names])
        out_margins[label] = {
            "set": setting,
            "estimate": float(g @ fit.params.to_numpy()),
            "se": float(np.sqrt(g @ V @ g)),
        }
    return {
        "formula": fml,
        "engine": "statsmodels " + __import__("statsmodels").__version__,
        "names": ["(Intercept)" if n == "Intercept" else n for n in names],
        "coef": fit.params.tolist(),
        "se": fit.bse.tolist(),
        "n_obs": int(fit.nobs),
        "margins": out_margins,
    }


def personal_like(seed: int, n_rows: int) -> pd.DataFrame:
    """One person's sessions: no Novice level, few months, a singleton month, a collinear column."""
    rng = np.random.default_rng(seed)
    mode = rng.choice(5, size=n_rows, p=[0.4, 0.25, 0.15, 0.1, 0.1])
    band = rng.choice(3, size=n_rows, p=[0.5, 0.3, 0.2])
    month = rng.choice(4, size=n_rows)
    occ_work = rng.choice(3, size=n_rows, p=[0.6, 0.3, 0.1])
    expertise = rng.choice([2, 3, 4, 5], size=n_rows, p=[0.15, 0.45, 0.3, 0.1]).astype(float)
    ln_calls = np.log1p(rng.poisson(np.exp(1.8 + 0.1 * expertise), n_rows))
    ln_turns = np.log1p(rng.poisson(3.0, n_rows))
    # Heteroskedastic errors: the case HC1 is for.
    noise = rng.normal(0, 0.3 + 0.15 * (mode % 3), n_rows)
    latent = -0.3 + 0.06 * expertise + 0.04 * ln_calls - 0.05 * ln_turns + 0.08 * (mode % 2) + noise
    y = (latent > 0).astype(float)
    ln_apt = 0.5 + 0.08 * expertise + 0.1 * (band == 2) + rng.normal(0, 0.2 + 0.2 * (mode == 0), n_rows)
    df = pd.DataFrame(
        {
            "user": np.zeros(n_rows, dtype=int),
            "mode": mode,
            "band": band,
            "month": month,
            "occ_work": occ_work,
            "expertise": expertise,
            "ln_calls": ln_calls,
            "ln_turns": ln_turns,
            "ln_apt": ln_apt,
            "y": y,
        }
    )
    for lvl in (3, 4, 5):
        df[f"lvl{lvl}"] = (df["expertise"] == lvl).astype(float)
    df["collin"] = 2.0 * df["expertise"] - 0.5 * df["ln_turns"]
    df.loc[n_rows - 1, "month"] = 99
    return df


def pyfixest_hetero(df: pd.DataFrame, fml: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(fml, data=df, vcov="hetero", fixef_rm="singleton", fixef_tol=FIXEF_TOL)
    tidy = fit.tidy()
    return {
        "formula": fml,
        "engine": f"pyfixest {pf.__version__} vcov=hetero",
        "names": list(tidy.index),
        "coef": tidy["Estimate"].tolist(),
        "se": tidy["Std. Error"].tolist(),
        "t": tidy["t value"].tolist(),
        "p": tidy["Pr(>|t|)"].tolist(),
        "ci_low": tidy["2.5%"].tolist(),
        "ci_high": tidy["97.5%"].tolist(),
        "n_obs": int(fit._N),
        "collinear": list(getattr(fit, "_collin_vars", []) or []),
        "vcov": np.asarray(fit._vcov).tolist(),
    }


def personal_refs(df: pd.DataFrame) -> dict:
    from statsmodels.stats.proportion import proportion_confint

    m = {}
    m["fe_hc1"] = pyfixest_hetero(df, "y ~ expertise + ln_calls + ln_turns + collin | mode^band + month")
    m["fe_levels_hc1"] = pyfixest_hetero(df, "y ~ lvl3 + lvl4 + lvl5 | mode^band + month + occ_work")
    # Adjusted rates per level, reference level 2 (no Novice): delta method on the HC1 vcov.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dmb = df.assign(mode_band=df["mode"] * 3 + df["band"])
        fit = pf.feols("y ~ lvl3 + lvl4 + lvl5 | mode_band + month + occ_work", data=dmb, vcov="hetero",
                       fixef_rm="singleton", fixef_tol=FIXEF_TOL)
        sample = fit._data
        names = list(fit.coef().index)
        V = np.asarray(fit._vcov)
        margins = {}
        for l in (2, 3, 4, 5):
            setting = {f"lvl{j}": float(j == l) for j in (3, 4, 5)}
            cf = sample.copy()
            for k, v in setting.items():
                cf[k] = v
            pred = np.asarray(fit.predict(newdata=cf, atol=1e-14, btol=1e-14))
            g = np.array([setting[n] - sample[n].mean() for n in names])
            margins[f"level{l}"] = {"set": setting, "estimate": float(pred.mean()), "se": float(np.sqrt(g @ V @ g))}
    m["fe_levels_hc1"]["margins"] = margins
    m["loglinear_hc1"] = pyfixest_hetero(df, "ln_apt ~ expertise | mode^band + month + occ_work")
    m["ols_hc1"] = pyfixest_hetero(df, "y ~ expertise + ln_calls + ln_turns")
    # The same HC1 from statsmodels with the month fixed effect as dummies (the singleton month
    # left out, as our fit drops it): an independent check of the degrees-of-freedom count.
    ns = df[df["month"] != 99]
    sm = smf.ols("y ~ expertise + ln_calls + C(month)", data=ns).fit(cov_type="HC1")
    m["statsmodels_dummies_hc1"] = {
        "formula": "y ~ expertise + ln_calls + C(month), cov_type=HC1",
        "engine": "statsmodels " + __import__("statsmodels").__version__,
        "names": ["expertise", "ln_calls"],
        "coef": [float(sm.params["expertise"]), float(sm.params["ln_calls"])],
        "se": [float(sm.bse["expertise"]), float(sm.bse["ln_calls"])],
        "n_obs": int(sm.nobs),
    }
    m["mean_hc1"] = pyfixest_hetero(df, "ln_apt ~ 1")
    n, k = len(df), int(df["y"].sum())
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    m["share_wilson"] = {"n": n, "k": k, "share": k / n, "ci_low": float(lo), "ci_high": float(hi)}
    return m


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    hard = facets_like(seed=33, n_users=150, n_rows=1500)
    # Nearly confounded fixed effects (occupation almost determined by work mode, month by
    # band): alternating projections converge slowly here, the case acceleration is for.
    rng = np.random.default_rng(34)
    sticky = rng.random(len(hard)) < 0.97
    hard["occ_work"] = np.where(sticky, hard["mode"] * 2, hard["occ_work"])
    hard["month"] = np.where(rng.random(len(hard)) < 0.9, hard["band"] * 3, hard["month"])
    datasets = {
        "golden_a": facets_like(seed=11, n_users=120, n_rows=1500),
        "golden_b": facets_like(seed=22, n_users=200, n_rows=2000),
        "golden_c": hard,
    }
    refs = {}
    for name, df in datasets.items():
        df.to_csv(os.path.join(OUT, f"{name}.csv"), index=False, float_format="%.17g")
        m = {}
        m["fe_mode_band_month"] = pyfixest_ref(
            df, "y ~ expertise + ln_calls + ln_turns + collin | mode^band + month"
        )
        m["fe_all_a1"] = pyfixest_ref(
            df,
            "y ~ expertise + ln_calls + ln_turns + month_trend"
            " | mode^band + month + occ_work + occ_prof + tier_len",
        )
        m["fe_levels"] = pyfixest_ref(
            df, "y ~ lvl2 + lvl3 + lvl4 + lvl5 | mode^band + month + occ_work"
        )
        levels = {f"level{l}": {f"lvl{j}": float(j == l) for j in (2, 3, 4, 5)} for l in range(1, 6)}
        # pyfixest's fixef()/predict() refuse `^`: the same interaction as one column.
        dmb = df.assign(mode_band=df["mode"] * 4 + df["band"])
        m["fe_levels"]["margins"] = fe_margins(
            dmb, "y ~ lvl2 + lvl3 + lvl4 + lvl5 | mode_band + month + occ_work", levels
        )
        m["fe_nested_user"] = pyfixest_ref(df, "y ~ expertise + ln_calls | user_half + month")
        m["ols_pyfixest"] = pyfixest_ref(df, "y ~ expertise + ln_calls + ln_turns")
        m["const_share"] = pyfixest_ref(df, "y ~ 1")
        margins = {f"level{l}": {f"lvl{j}": float(j == l) for j in (2, 3, 4, 5)} for l in range(1, 6)}
        m["ols_statsmodels_levels"] = statsmodels_ref(
            df, "y ~ lvl2 + lvl3 + lvl4 + lvl5 + ln_calls", margins
        )
        lin = {f"level{l}": {"expertise": float(l)} for l in range(1, 6)}
        m["ols_statsmodels_linear"] = statsmodels_ref(df, "y ~ expertise + ln_turns", lin)
        refs[name] = m
    with open(os.path.join(OUT, "golden_refs.json"), "w") as f:
        json.dump(refs, f, indent=1, sort_keys=True)
        f.write("\n")
    personal = personal_like(seed=55, n_rows=160)
    personal.to_csv(os.path.join(OUT, "golden_personal.csv"), index=False, float_format="%.17g")
    with open(os.path.join(OUT, "golden_personal_refs.json"), "w") as f:
        json.dump(personal_refs(personal), f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", ", ".join(f"{k}.csv" for k in datasets), "and golden_refs.json to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
