//! `agentstat_stats::agreement`: kappa against hand-computed and textbook values, weighted
//! kappa and Spearman against reference implementations, the clustered SE, undefined cases,
//! suppression with k > 1, and files that do not match.

use agentstat_facets::*;
use agentstat_stats::agreement::*;
use agentstat_stats::privacy::{Rules, Threshold};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Pairs from a contingency table given as counts `table[a][b]`.
fn pairs_from(table: &[&[usize]]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for (a, row) in table.iter().enumerate() {
        for (b, &n) in row.iter().enumerate() {
            v.extend(std::iter::repeat_n((a, b), n));
        }
    }
    v
}

fn singletons(n: usize) -> Vec<usize> {
    (0..n).collect()
}

#[test]
fn kappa_by_hand_two_by_two() {
    // A = [0,0,1,1], B = [0,1,1,1]: po = 3/4; A's shares (1/2, 1/2), B's (1/4, 3/4);
    // pe = 1/2·1/4 + 1/2·3/4 = 1/2; κ = (3/4 − 1/2)/(1 − 1/2) = 1/2.
    let pairs = [(0, 0), (0, 1), (1, 1), (1, 1)];
    let k = cohen_kappa(&pairs, &singletons(4), 2);
    assert!(close(k.po, 0.75, 1e-12) && close(k.pe, 0.5, 1e-12));
    assert!(close(k.kappa.unwrap(), 0.5, 1e-12), "{k:?}");
}

#[test]
fn kappa_textbook_examples() {
    // Wikipedia "Cohen's kappa", worked example: 50 proposals, both Yes 20, A Yes/B No 5,
    // A No/B Yes 10, both No 15: po = 0.7, pe = 0.5, κ = 0.4.
    let pairs = pairs_from(&[&[20, 5], &[10, 15]]);
    let k = cohen_kappa(&pairs, &singletons(50), 2);
    assert!(close(k.po, 0.7, 1e-12) && close(k.pe, 0.5, 1e-12));
    assert!(close(k.kappa.unwrap(), 0.4, 1e-12), "{k:?}");

    // Fleiss, Levin & Paik, Statistical Methods for Rates and Proportions (3rd ed.), §18.1:
    // 100 subjects, three diagnoses, proportions
    //   .75 .01 .04 | .80
    //   .05 .04 .01 | .10
    //   .00 .00 .10 | .10
    //   .80 .05 .15
    // po = .89, pe = .80·.80 + .10·.05 + .10·.15 = .66, κ = .23/.34 = 0.6765.
    let pairs = pairs_from(&[&[75, 1, 4], &[5, 4, 1], &[0, 0, 10]]);
    let k = cohen_kappa(&pairs, &singletons(100), 3);
    assert!(close(k.po, 0.89, 1e-12) && close(k.pe, 0.66, 1e-12));
    assert!(close(k.kappa.unwrap(), 0.23 / 0.34, 1e-12), "{k:?}");
    // Its large-sample SE, by the Fleiss–Cohen–Everitt (1969) closed form computed here
    // independently of the library's influence-function code.
    let se = fce_se(&[&[75, 1, 4], &[5, 4, 1], &[0, 0, 10]], |i, j| {
        f64::from(u8::from(i == j))
    });
    assert!(
        close(k.se_iid.unwrap(), se, 1e-12),
        "{} vs {se}",
        k.se_iid.unwrap()
    );
}

/// Fleiss, Cohen & Everitt (1969): var(κ̂_w) = [Σ_ij p_ij (w_ij(1−pe) − (w̄_i. + w̄_.j)(1−po))²
/// − (po·pe − 2pe + po)²] / (n (1−pe)⁴), with w̄_i. = Σ_j p_.j w_ij and w̄_.j = Σ_i p_i. w_ij.
fn fce_se(table: &[&[usize]], w: impl Fn(usize, usize) -> f64) -> f64 {
    let k = table.len();
    let n: usize = table.iter().map(|r| r.iter().sum::<usize>()).sum();
    let nf = n as f64;
    let p = |i: usize, j: usize| table[i][j] as f64 / nf;
    let pr: Vec<f64> = (0..k).map(|i| (0..k).map(|j| p(i, j)).sum()).collect();
    let pc: Vec<f64> = (0..k).map(|j| (0..k).map(|i| p(i, j)).sum()).collect();
    let po: f64 = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| w(i, j) * p(i, j))
        .sum();
    let pe: f64 = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| w(i, j) * pr[i] * pc[j])
        .sum();
    let wr: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| pc[j] * w(i, j)).sum())
        .collect();
    let wc: Vec<f64> = (0..k)
        .map(|j| (0..k).map(|i| pr[i] * w(i, j)).sum())
        .collect();
    let s: f64 = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| p(i, j) * (w(i, j) * (1.0 - pe) - (wr[i] + wc[j]) * (1.0 - po)).powi(2))
        .sum::<f64>()
        - (po * pe - 2.0 * pe + po).powi(2);
    (s / (nf * (1.0 - pe).powi(4))).sqrt()
}

/// Reference values from scikit-learn 1.5.2 and scipy, computed once with:
///
/// ```python
/// from sklearn.metrics import cohen_kappa_score
/// from scipy.stats import spearmanr
/// a = [1, 2, 3, 4, 5, 3, 2, 4, 5, 1, 3, 4]
/// b = [1, 3, 3, 5, 4, 3, 2, 4, 5, 2, 2, 4]
/// cohen_kappa_score(a, b, weights="quadratic", labels=[1,2,3,4,5])  # 0.8706896551724138
/// cohen_kappa_score(a, b, weights="linear", labels=[1,2,3,4,5])     # 0.7087378640776699
/// cohen_kappa_score(a, b, labels=[1,2,3,4,5])                       # 0.4736842105263158
/// x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
/// y = [2.0, 1.0, 4.0, 4.0, 6.0, 5.5]
/// spearmanr(x, y).correlation                                       # 0.8696565534786727
/// ```
#[test]
fn weighted_kappa_and_spearman_match_reference_implementations() {
    let a = [1, 2, 3, 4, 5, 3, 2, 4, 5, 1, 3, 4];
    let b = [1, 3, 3, 5, 4, 3, 2, 4, 5, 2, 2, 4];
    let pairs: Vec<(usize, usize)> = a.iter().zip(&b).map(|(&x, &y)| (x - 1, y - 1)).collect();
    let users = singletons(pairs.len());
    let q = quadratic_kappa(&pairs, &users, 5);
    assert!(close(q.kappa.unwrap(), 0.8706896551724138, 1e-12), "{q:?}");
    let lin = kappa_with(&pairs, &users, 5, |i, j| {
        1.0 - (i as f64 - j as f64).abs() / 4.0
    });
    assert!(
        close(lin.kappa.unwrap(), 0.7087378640776699, 1e-12),
        "{lin:?}"
    );
    let u = cohen_kappa(&pairs, &users, 5);
    assert!(close(u.kappa.unwrap(), 0.4736842105263158, 1e-12), "{u:?}");
    // The weighted SE is the Fleiss–Cohen–Everitt weighted form.
    let mut t = vec![vec![0usize; 5]; 5];
    for &(x, y) in &pairs {
        t[x][y] += 1;
    }
    let rows: Vec<&[usize]> = t.iter().map(|r| r.as_slice()).collect();
    let se = fce_se(&rows, |i, j| 1.0 - (i as f64 - j as f64).powi(2) / 16.0);
    assert!(close(q.se_iid.unwrap(), se, 1e-12), "{q:?} vs {se}");

    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let y = [2.0, 1.0, 4.0, 4.0, 6.0, 5.5];
    assert!(close(spearman(&x, &y).unwrap(), 0.8696565534786727, 1e-12));
    assert_eq!(spearman(&x, &[3.0; 6]), None, "constant side: undefined");
    assert_eq!(spearman(&[1.0], &[2.0]), None);
}

#[test]
fn clustered_se_reduces_to_the_independent_one_and_counts_people_not_sessions() {
    let pairs = pairs_from(&[&[75, 1, 4], &[5, 4, 1], &[0, 0, 10]]);
    let n = pairs.len() as f64;
    // Every session its own person: CR1 = FCE · sqrt(n/(n−1)).
    let k = cohen_kappa(&pairs, &singletons(pairs.len()), 3);
    assert!(close(
        k.se_clustered.unwrap(),
        k.se_iid.unwrap() * (n / (n - 1.0)).sqrt(),
        1e-12
    ));
    // Each person's session repeated 4 times: the data carry no more information, and the
    // clustered SE is exactly the one-session-per-person SE (the iid SE shrinks by 2 wrongly).
    let rep: Vec<(usize, usize)> = pairs.iter().flat_map(|&p| [p; 4]).collect();
    let rep_users: Vec<usize> = (0..pairs.len()).flat_map(|u| [u; 4]).collect();
    let r = cohen_kappa(&rep, &rep_users, 3);
    assert!(close(r.kappa.unwrap(), k.kappa.unwrap(), 1e-12));
    assert!(
        close(r.se_clustered.unwrap(), k.se_clustered.unwrap(), 1e-12),
        "{r:?} {k:?}"
    );
    assert!(close(r.se_iid.unwrap(), k.se_iid.unwrap() / 2.0, 1e-12));
    // One person: no clustered SE; the interval falls back to the independent one.
    let one = cohen_kappa(&pairs, &vec![0; pairs.len()], 3);
    assert_eq!(one.se_clustered, None);
    assert_eq!(one.se_method(), Some(SE_IID));
    let e = one.estimate();
    assert!(close(
        e.ci_low.unwrap(),
        one.kappa.unwrap() - 1.959963984540054 * one.se_iid.unwrap(),
        1e-12
    ));
}

#[test]
fn one_category_only_is_undefined_not_nan() {
    let pairs = [(2, 2); 7];
    let k = cohen_kappa(&pairs, &singletons(7), 4);
    assert_eq!(k.kappa, None);
    assert!(close(k.po, 1.0, 1e-12) && close(k.pe, 1.0, 1e-12));
    assert_eq!(k.estimate().value, None);
    assert_eq!(k.se_method(), None);
    let empty = cohen_kappa::<usize>(&[], &[], 4);
    assert_eq!(empty.kappa, None);
    assert_eq!(empty.n, 0);
}

// ---- the document over facets ---------------------------------------------------------------

fn prov() -> Provenance {
    Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "t".into(),
    }
}

fn labels() -> Labels {
    let p = prov();
    Labels {
        work_mode: Label::ok(WorkMode::Build, p.clone()),
        codebase_relation: Label::ok(CodebaseRelation::Modify, p.clone()),
        decisions: Label::ok(
            Decisions {
                planning_user: 2,
                planning_agent: 1,
                execution_user: 1,
                execution_agent: 3,
            },
            p.clone(),
        ),
        expertise: Label::ok(Expertise::Intermediate, p.clone()),
        user_profile: Label::ok(UserProfile::Group(Occupation::ComputerMath), p.clone()),
        work_performed: Label::ok(Occupation::ComputerMath, p.clone()),
        outcome: Label::ok(Outcome::Succeeded, p.clone()),
        success_signal: Label::ok(Signal::S3, p.clone()),
        failure_signal: Label::ok(Signal::None, p.clone()),
        task_value: Label::ok(
            TaskValue {
                usd: 300.0,
                band: ValueBand::B200To1k,
            },
            p,
        ),
    }
}

fn facet(session: &str, user: &str, edit: impl FnOnce(&mut Labels)) -> Facet {
    let mut l = labels();
    edit(&mut l);
    Facet {
        session_key: session.into(),
        user_key: user.into(),
        agent: "claude-code".into(),
        agent_version: None,
        interactive: true,
        excluded_reason: None,
        telemetry: Telemetry::default(),
        labels: Some(l),
        habits: None,
    }
}

/// The confusion cell (A = `x`, B = `y`).
fn at(l: &LabelAgreement, x: &str, y: &str) -> agentstat_stats::results::Cell {
    let i = l.categories.iter().position(|c| c == x).unwrap();
    let j = l.categories.iter().position(|c| c == y).unwrap();
    l.confusion[i][j]
}

fn label<'a>(a: &'a Agreement, key: &str) -> &'a LabelAgreement {
    a.labels.iter().find(|l| l.key == key).unwrap()
}

#[test]
fn every_rubric_label_is_compared() {
    assert_eq!(
        label_keys(),
        [
            "work_mode",
            "codebase_relation",
            "planning_decider",
            "execution_decider",
            "expertise",
            "user_profile",
            "work_performed",
            "outcome",
            "success_signal",
            "failure_signal",
            "value_band",
            "task_value_usd",
            "user_planning_share",
            "user_execution_share",
        ]
    );
}

#[test]
fn mismatched_files_are_joined_on_session_key_and_counted() {
    let a: Vec<Facet> = (0..5)
        .map(|i| facet(&format!("s{i}"), "u", |_| {}))
        .collect();
    let mut b: Vec<Facet> = (3..8)
        .map(|i| facet(&format!("s{i}"), "u", |_| {}))
        .collect();
    b.push(facet("s4", "u", |l| {
        l.work_mode.value = Some(WorkMode::Fix)
    })); // duplicate key
    let r = agree(&a, &b, &Threshold::personal());
    assert_eq!(r.join.both.value, Some(2.0));
    assert_eq!(r.join.only_a.value, Some(3.0));
    assert_eq!(r.join.only_b.value, Some(3.0));
    assert_eq!((r.join.duplicate_keys_a, r.join.duplicate_keys_b), (0, 1));
    // The first copy of s4 is used: full agreement.
    assert_eq!(label(&r, "work_mode").agreement.unwrap().value, Some(1.0));
    // No overlap at all: nothing compared, nothing undefined turned into a number.
    let c: Vec<Facet> = (10..12)
        .map(|i| facet(&format!("s{i}"), "u", |_| {}))
        .collect();
    let r = agree(&a, &c, &Threshold::personal());
    assert_eq!(r.join.both.value, Some(0.0));
    for l in &r.labels {
        assert_eq!(l.compared.value, Some(0.0), "{}", l.key);
        assert!(l.confusion.is_empty());
        assert_eq!(l.kappa.and_then(|c| c.value), None);
    }
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("NaN"));
}

/// Personal mode (one person): every number is published, so the figures can be checked by
/// hand.
#[test]
fn figures_per_label_with_missing_and_errored_labels_excluded() {
    let modes = [
        WorkMode::Build,
        WorkMode::Fix,
        WorkMode::Build,
        WorkMode::Test,
        WorkMode::Fix,
        WorkMode::Build,
    ];
    let other = [
        WorkMode::Build,
        WorkMode::Fix,
        WorkMode::Fix,
        WorkMode::Test,
        WorkMode::Fix,
        WorkMode::Build,
    ];
    let exp_a = [1u8, 2, 3, 4, 5, 3];
    let exp_b = [Some(1u8), Some(3), Some(3), Some(5), None, Some(3)];
    let usd_a = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0];
    let usd_b = [150.0, 100.0, 350.0, 900.0, 800.0, 700.0];
    let a: Vec<Facet> = (0..6)
        .map(|i| {
            facet(&format!("s{i}"), "me", |l| {
                l.work_mode.value = Some(modes[i]);
                l.expertise.value = Expertise::from_level(exp_a[i]);
                l.task_value.value = Some(TaskValue {
                    usd: usd_a[i],
                    band: ValueBand::of_usd(usd_a[i]),
                });
            })
        })
        .chain([facet("s6", "me", |_| {})])
        .collect();
    let b: Vec<Facet> = (0..6)
        .map(|i| {
            facet(&format!("s{i}"), "me", |l| {
                l.work_mode.value = Some(other[i]);
                l.expertise.value =
                    exp_b[i].map_or(Some(Expertise::Unclear), Expertise::from_level);
                l.task_value.value = Some(TaskValue {
                    usd: usd_b[i],
                    band: ValueBand::of_usd(usd_b[i]),
                });
                if i == 1 {
                    l.outcome = Label::failed("invalid answer twice", prov());
                }
            })
        })
        .chain([{
            let mut f = facet("s6", "me", |_| {});
            f.labels = None; // not classified in B
            f
        }])
        .collect();
    let r = agree(&a, &b, &Threshold::personal());
    assert!(r.privacy.personal_mode);
    assert_eq!(r.privacy.suppressed_cells, 0);

    // Work mode: 7 in both, s6 unclassified in B → 6 compared, 1 excluded; 5/6 agree.
    let wm = label(&r, "work_mode");
    assert_eq!(
        (wm.compared.value, wm.excluded.value),
        (Some(6.0), Some(1.0))
    );
    assert!(close(
        wm.agreement.unwrap().value.unwrap(),
        5.0 / 6.0,
        1e-12
    ));
    // One person: the agreement's interval is the Wilson interval on the 6 sessions.
    let (lo, hi) =
        agentstat_stats::descriptive::wilson(5.0 / 6.0, 6.0, agentstat_stats::descriptive::Z_975);
    let ag = wm.agreement.unwrap();
    assert!(close(ag.ci_low.unwrap(), lo, 1e-12) && close(ag.ci_high.unwrap(), hi, 1e-12));
    // By hand: A = B,F,B,T,F,B; B = B,F,F,T,F,B. A shares: Build 3/6, Fix 2/6, Test 1/6;
    // B shares: Build 2/6, Fix 3/6, Test 1/6. pe = (6 + 6 + 1)/36 = 13/36;
    // κ = (30/36 − 13/36)/(23/36) = 17/23.
    assert!(close(wm.kappa.unwrap().value.unwrap(), 17.0 / 23.0, 1e-12));
    assert_eq!(wm.kappa_se.as_deref(), Some(SE_IID));
    assert_eq!(wm.categories, ["Build", "Fix", "Test"]);
    let m: Vec<Vec<f64>> = wm
        .confusion
        .iter()
        .map(|r| r.iter().map(|c| c.value.unwrap()).collect())
        .collect();
    assert_eq!(m, [[2.0, 1.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]);

    // Outcome errored for s1 in B: one more exclusion, only for outcome.
    let oc = label(&r, "outcome");
    assert_eq!(
        (oc.compared.value, oc.excluded.value),
        (Some(5.0), Some(2.0))
    );
    // Every compared outcome is Succeeded in both: kappa undefined, said so, not a number.
    let k = oc.kappa.unwrap();
    assert!(!k.suppressed && k.value.is_none() && k.ci_low.is_none());
    assert!(
        oc.notes.iter().any(|n| n.contains("kappa is undefined")),
        "{:?}",
        oc.notes
    );
    assert_eq!(oc.agreement.unwrap().value, Some(1.0));

    // Expertise: Unclear in B for s4 is a category for kappa and off the 1–5 scale.
    let ex = label(&r, "expertise");
    assert_eq!(ex.kind, LabelKind::Ordinal);
    assert_eq!(ex.compared.value, Some(6.0));
    assert_eq!(ex.ordinal_compared.unwrap().value, Some(5.0));
    // Pairs on the scale: (1,1) (2,3) (3,3) (4,5) (3,3): all within one; exact 3/5.
    assert_eq!(ex.within_one.unwrap().value, Some(1.0));
    let pairs = [(0, 0), (1, 2), (2, 2), (3, 4), (2, 2)];
    let q = quadratic_kappa(&pairs, &[0; 5], 5);
    assert!(close(
        ex.weighted_kappa.unwrap().value.unwrap(),
        q.kappa.unwrap(),
        1e-12
    ));
    assert!(ex.categories.contains(&"Unclear".to_string()));
    assert!(ex.notes.iter().any(|n| n.contains("Unclear left out")));

    // Task value: Spearman and mean absolute difference by hand.
    let tv = label(&r, "task_value_usd");
    assert_eq!(tv.kind, LabelKind::Numeric);
    assert!(close(
        tv.spearman.unwrap().value.unwrap(),
        spearman(&usd_a, &usd_b).unwrap(),
        1e-12
    ));
    // |Δ| = 50, 100, 50, 500, 300, 100 → 1100/6.
    assert!(close(
        tv.mean_abs_diff.unwrap().value.unwrap(),
        1100.0 / 6.0,
        1e-9
    ));
    // Ranks of B: 150→2, 100→1, 350→3, 900→6, 800→5, 700→4; A ranks 1..6;
    // Σd² = 1+1+0+4+0+4 = 10 → ρ = 1 − 6·10/(6·35) = 5/7.
    assert!(close(tv.spearman.unwrap().value.unwrap(), 5.0 / 7.0, 1e-12));

    // Decisions are the same everywhere: planning made mostly by the user.
    let pd = label(&r, "planning_decider");
    assert_eq!(pd.categories, ["user"]);
    assert_eq!(pd.agreement.unwrap().value, Some(1.0));
    let ps = label(&r, "user_planning_share");
    assert!(close(ps.mean_abs_diff.unwrap().value.unwrap(), 0.0, 1e-12));
    assert!(
        ps.notes.iter().any(|n| n.contains("same value")),
        "{:?}",
        ps.notes
    );
}

/// Team data with k = 3: every published number rests on at least 3 people, a cell from fewer
/// is "suppressed" with no numbers, and no suppressed confusion cell can be recovered by
/// subtracting published cells from a published total.
/// Team mode without rounding: what the withdrawal tests check (the rounding is applied after
/// the withdrawal, and tested on its own in `team_mode_rounds_the_published_counts`).
fn unrounded(k: u32) -> Threshold {
    Threshold {
        rules: Rules {
            round_base: 0,
            ..Rules::default()
        },
        ..Threshold::new(k)
    }
}

/// 17 sessions of 6 people: in team mode with the default base every published count is
/// rounded to 5 (as `analyse` rounds them, so the same count reads the same), and the
/// agreement share lands on its grid without an SE; the withdrawals are those of the unrounded
/// page, and personal mode stays exact.
#[test]
fn team_mode_rounds_the_published_counts() {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..17 {
        let s = format!("s{i}");
        let user = format!("user{}", i % 6);
        let m = if i >= 11 {
            WorkMode::Fix
        } else {
            WorkMode::Build
        };
        a.push(facet(&s, &user, |l| l.work_mode.value = Some(m)));
        b.push(facet(&s, &user, |l| {
            l.work_mode.value = Some(if i == 4 { WorkMode::Fix } else { m })
        }));
    }
    let th = Threshold::new(3);
    assert!(th.rounds());
    let r = agree(&a, &b, &th);
    let exact = agree(&a, &b, &unrounded(3));
    let personal = agree(&a, &b, &Threshold::personal());
    assert_eq!(r.privacy.round_base, 5);
    assert_eq!(exact.join.both.value, Some(17.0));
    assert_eq!(personal.join.both.value, Some(17.0));
    assert_eq!(r.join.both.value, Some(15.0));
    let (wm, we) = (label(&r, "work_mode"), label(&exact, "work_mode"));
    assert_eq!(we.compared.value, Some(17.0));
    assert_eq!(wm.compared.value, Some(15.0));
    // Every confusion cell: withheld exactly when the unrounded page withholds it, else its
    // count rounded (Build/Build 10 sessions, Fix/Fix 6, Build/Fix one person's 1).
    let mut published = 0;
    for (c, e) in wm
        .confusion
        .iter()
        .flatten()
        .zip(we.confusion.iter().flatten())
    {
        assert_eq!(c.suppressed, e.suppressed, "{c:?} {e:?}");
        if !c.suppressed {
            let v = e.value.unwrap();
            assert_eq!(
                c.value,
                Some(((v + 2.0) / 5.0).floor() * 5.0),
                "{c:?} {e:?}"
            );
            published += 1;
        }
    }
    assert!(published > 0);
    let mut cells = vec![r.join.both, wm.compared, wm.excluded];
    cells.extend(wm.confusion.iter().flatten().copied());
    for c in cells.iter().filter(|c| !c.suppressed) {
        assert_eq!(c.value.unwrap() % 5.0, 0.0, "{c:?}");
        assert_eq!((c.n_sessions % 5, c.n_users % 5), (0, 0), "{c:?}");
    }
    // The same cells are withheld with and without rounding.
    let hidden = |l: &LabelAgreement| -> Vec<bool> {
        l.confusion.iter().flatten().map(|c| c.suppressed).collect()
    };
    assert_eq!(hidden(wm), hidden(we));
    if let (Some(share), Some(true_share)) = (wm.agreement, we.agreement) {
        if !share.suppressed {
            // 16 of 17 agree: 0.941 exact; on the grid of 5/15 (step 0.5) it is 1.0.
            assert!(share.se.is_none(), "{share:?}");
            let v = share.value.unwrap();
            assert!(((v * 1000.0).round() - v * 1000.0).abs() < 1e-9, "{v}");
            assert_ne!(share.value, true_share.value);
        }
    }
}

#[test]
fn suppression_with_k_above_one() {
    let mut a = Vec::new();
    let mut b = Vec::new();
    // Six people: each has a Build/Build and a Fix/Fix session.
    for u in 0..6 {
        for (i, m) in [WorkMode::Build, WorkMode::Fix].into_iter().enumerate() {
            let s = format!("s{u}-{i}");
            a.push(facet(&s, &format!("user{u}"), |l| {
                l.work_mode.value = Some(m)
            }));
            b.push(facet(&s, &format!("user{u}"), |l| {
                l.work_mode.value = Some(m)
            }));
        }
    }
    // One person's sessions: Build in A, Test in B (a confusion cell of one person), and an
    // Operate/Operate session of one other person.
    a.push(facet("x1", "user0", |l| {
        l.work_mode.value = Some(WorkMode::Build)
    }));
    b.push(facet("x1", "user0", |l| {
        l.work_mode.value = Some(WorkMode::Test)
    }));
    a.push(facet("x2", "user1", |l| {
        l.work_mode.value = Some(WorkMode::Operate)
    }));
    b.push(facet("x2", "user1", |l| {
        l.work_mode.value = Some(WorkMode::Operate)
    }));
    // A session only in A, of one person: its count is not published.
    a.push(facet("only", "user9", |_| {}));

    let r = agree(&a, &b, &unrounded(3));
    let truth = agree(&a, &b, &Threshold::personal());
    assert!(!r.privacy.personal_mode && r.privacy.min_users == 3);
    assert!(r.privacy.suppressed_cells > 0);
    assert_eq!(r.join.both.value, Some(14.0));
    assert!(r.join.only_a.suppressed && r.join.only_a.value.is_none());

    let mut cells = vec![r.join.both, r.join.only_a, r.join.only_b];
    for l in &r.labels {
        cells.extend([l.compared, l.excluded]);
        cells.extend(
            [
                l.agreement,
                l.kappa,
                l.ordinal_compared,
                l.within_one,
                l.weighted_kappa,
                l.spearman,
                l.mean_abs_diff,
            ]
            .into_iter()
            .flatten(),
        );
        cells.extend(l.confusion.iter().flatten().copied());
    }
    let mut n_suppressed = 0;
    for c in &cells {
        if c.suppressed {
            n_suppressed += 1;
            assert!(c.value.is_none() && c.se.is_none() && c.ci_low.is_none());
            assert_eq!(
                (c.n_sessions, c.n_users),
                (0, 0),
                "suppressed counts are cleared"
            );
        } else {
            assert!(c.n_users >= 3, "{c:?}");
        }
    }
    assert_eq!(n_suppressed, r.privacy.suppressed_cells as usize);

    let wm = label(&r, "work_mode");
    let tw = label(&truth, "work_mode");
    // With a threshold every category is listed, whether it occurs or not.
    assert_eq!(wm.categories.len(), WorkMode::ALL.len());
    // Build/Build and Fix/Fix rest on six people each, but the two one-person cells together
    // rest on two (< 3): with the total published, one of the large cells is withdrawn too.
    let big = [at(wm, "Build", "Build"), at(wm, "Fix", "Fix")];
    assert_eq!(big.iter().filter(|c| c.suppressed).count(), 1, "{big:?}");
    assert!(big.iter().any(|c| c.value == Some(6.0)));
    // The agreement rate (13 of 14) would reveal that one session sits off the diagonal, the
    // Build/Test cell of one person: it is withdrawn as well.
    assert!(tw.agreement.unwrap().value.is_some());
    assert!(wm.agreement.unwrap().suppressed);
    // Build/Test (one person), Operate/Operate (one person) and an absent pair: suppressed.
    assert!(at(wm, "Build", "Test").suppressed && at(wm, "Operate", "Operate").suppressed);
    assert!(at(wm, "Plan", "Plan").suppressed);
    // The whole-label figures rest on six people.
    assert_eq!(wm.compared.value, Some(14.0));
    assert!(wm.kappa.unwrap().value.is_some());
    // Differencing: with the total published, the hidden cells together must hold sessions
    // of at least k people: never one lone hidden cell with sessions in it, and the hidden
    // cells' people (summed per cell, an upper bound of the union) at least k.
    for (l, t) in r.labels.iter().zip(&truth.labels) {
        if l.compared.suppressed || l.confusion.is_empty() {
            continue;
        }
        let mut hidden = Vec::new();
        let mut published = 0.0;
        for x in &l.categories {
            for y in &l.categories {
                let c = at(l, x, y);
                let true_cell =
                    (t.categories.contains(x) && t.categories.contains(y)).then(|| at(t, x, y));
                let n = true_cell.and_then(|c| c.value).unwrap_or(0.0);
                if c.suppressed {
                    if n > 0.0 {
                        hidden.push((n, true_cell.unwrap().n_users));
                    }
                } else {
                    assert_eq!(c.value, Some(n));
                    published += n;
                }
            }
        }
        assert!(
            hidden.len() != 1,
            "{}: one hidden cell is recoverable",
            l.key
        );
        let total = l.compared.value.unwrap();
        assert_eq!(
            published + hidden.iter().map(|h| h.0).sum::<f64>(),
            total,
            "{}",
            l.key
        );
        let people: u64 = hidden.iter().map(|h| h.1).sum();
        assert!(hidden.is_empty() || people >= 3, "{}: {people}", l.key);
    }

    // Personal-mode wording never appears with a threshold; JSON has no NaN.
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("NaN"));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// (user, A's work mode, B's work mode or None = errored in B)
    fn arb_rows() -> impl Strategy<Value = Vec<(u8, u8, Option<u8>)>> {
        proptest::collection::vec(
            (0u8..7, 0u8..4, proptest::option::weighted(0.9, 0u8..4)),
            0..60,
        )
    }

    fn files(rows: &[(u8, u8, Option<u8>)]) -> (Vec<Facet>, Vec<Facet>) {
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (i, &(u, x, y)) in rows.iter().enumerate() {
            let s = format!("s{i}");
            let user = format!("u{u}");
            a.push(facet(&s, &user, |l| {
                l.work_mode.value = Some(WorkMode::ALL[x as usize]);
            }));
            b.push(facet(&s, &user, |l| match y {
                Some(y) => l.work_mode.value = Some(WorkMode::ALL[y as usize]),
                None => l.work_mode = Label::failed("invalid answer twice", prov()),
            }));
        }
        (a, b)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        /// Whatever the data: no published number rests on fewer than k people, and none of
        /// the simple subtractions recovers a hidden count (total − published cells, the
        /// diagonal from the agreement rate, excluded from both − compared).
        #[test]
        fn nothing_below_k_and_no_lone_hidden_count(rows in arb_rows(), k in 2u32..5) {
            let (a, b) = files(&rows);
            let r = agree(&a, &b, &unrounded(k));
            let t = agree(&a, &b, &Threshold::personal());
            let wm = label(&r, "work_mode");
            let tw = label(&t, "work_mode");
            let mut cells = vec![r.join.both, wm.compared, wm.excluded];
            cells.extend([wm.agreement, wm.kappa].into_iter().flatten());
            cells.extend(wm.confusion.iter().flatten().copied());
            for c in &cells {
                prop_assert!(c.suppressed || c.n_users >= u64::from(k), "{:?}", c);
                if c.suppressed {
                    prop_assert!(c.value.is_none() && c.n_users == 0);
                }
            }
            let truth = |x: &str, y: &str| {
                if tw.categories.iter().any(|c| c == x) && tw.categories.iter().any(|c| c == y) {
                    at(tw, x, y).value.unwrap()
                } else {
                    0.0
                }
            };
            let (mut hidden, mut hidden_diag, mut hidden_off) = (0, 0, 0);
            for x in &wm.categories {
                for y in &wm.categories {
                    if at(wm, x, y).suppressed && truth(x, y) > 0.0 {
                        hidden += 1;
                        if x == y { hidden_diag += 1 } else { hidden_off += 1 }
                    }
                }
            }
            if !wm.compared.suppressed {
                prop_assert!(hidden != 1, "a lone hidden cell under a published total");
                if wm.agreement.is_some_and(|c| !c.suppressed) {
                    prop_assert!(hidden_diag != 1 && hidden_off != 1);
                }
            }
            let excluded_true = tw.excluded.value.unwrap();
            if wm.excluded.suppressed && excluded_true > 0.0 {
                prop_assert!(r.join.both.suppressed || wm.compared.suppressed);
            }
        }
    }
}
