//! The embedded validation summary (`crates/learn/model/validation.json`) is the one the
//! generator wrote in the same run as docs/VALIDATION.md's tables: it parses, covers the
//! model's facets, was measured with this build's rules and features, names the classifier
//! the embedded model uses per facet, and its numbers are the tables' (and the held-out half's
//! work-mode figure is the one docs/VALIDATION.md reports). Hermetic: reads only repository
//! files. (Re-running the generator needs the corpus and minutes of training: it is
//! `scripts/labels/update-validation.sh`, not a test.)

use agentstat_learn::metrics::Share;
use agentstat_learn::{LearnedFacet, Model, Summary, EMBEDDED_MODEL};
use std::path::Path;

const REGENERATE: &str = "regenerate with scripts/labels/update-validation.sh";

fn summary() -> Summary {
    Summary::embedded().unwrap_or_else(|e| panic!("{e}: {REGENERATE}"))
}

fn doc() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/VALIDATION.md");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The cell as docs/VALIDATION.md's table prints it (`validate::pct`).
fn pct(s: &Share) -> String {
    format!(
        "{:.0}% [{:.0}–{:.0}]",
        s.p * 100.0,
        s.lo * 100.0,
        s.hi * 100.0
    )
}

#[test]
fn the_summary_is_of_this_build_and_of_the_embedded_model() {
    let s = summary();
    assert_eq!(
        s.rules_version,
        agentstat_classify::heuristic::RULES_VERSION,
        "the figures are of other heuristic rules: {REGENERATE}"
    );
    assert_eq!(
        s.features_version,
        agentstat_learn::features::FEATURES_VERSION,
        "the figures are of other learned features: {REGENERATE}"
    );
    let names: Vec<&str> = s.facets.iter().map(|f| f.facet.as_str()).collect();
    let all: Vec<&str> = LearnedFacet::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(names, all, "one entry per facet, in order");
    let m = Model::from_bytes(EMBEDDED_MODEL, "embedded").unwrap();
    for f in LearnedFacet::ALL {
        let fs = s.facet(f).unwrap();
        let fm = m
            .facet(f)
            .unwrap_or_else(|| panic!("the embedded model has no {}", f.name()));
        let model_uses = if fm.use_learned {
            "learned"
        } else {
            "heuristic"
        };
        assert_eq!(
            fs.default_classifier,
            model_uses,
            "{}: the summary's default is not the embedded model's choice",
            f.name()
        );
        if fs.default_is_constant {
            assert_eq!(fm.spec, agentstat_learn::train::CONSTANT, "{}", f.name());
        }
        for a in [&fs.default, &fs.heuristic, &fs.constant] {
            assert_eq!(a.exact.n, s.ratings, "{}: every rating scored", f.name());
            assert_eq!(
                a.within.is_some(),
                f.ordinal(),
                "{}: within one on the scales only",
                f.name()
            );
        }
        let h = fs
            .heuristic_held_out
            .as_ref()
            .expect("the held-out half is scored");
        assert_eq!(
            h.exact.n,
            s.held_out.as_ref().unwrap().ratings,
            "{}",
            f.name()
        );
    }
    let h = s.held_out.as_ref().unwrap();
    assert!(h.people > 0 && h.people < s.people && h.ratings < s.ratings);
}

#[test]
fn the_summary_numbers_are_docs_validation_tables() {
    let s = summary();
    let doc = doc();
    let b = doc
        .find("<!-- learned-validation:begin -->")
        .expect("begin marker");
    let e = doc
        .find("<!-- learned-validation:end -->")
        .expect("end marker");
    let block = &doc[b..e];
    assert!(
        block.contains(&format!(
            "{} ratings of {} sessions from {} people; {} person-grouped outer folds (seed {}); {} sessions rated twice.",
            s.ratings, s.sessions, s.people, s.folds, s.seed, s.double_rated
        )),
        "the sample line differs: {REGENERATE}"
    );
    let mut rows = 0;
    for fs in &s.facets {
        let mut check =
            |kind: &str, pick: &dyn Fn(&agentstat_learn::metrics::Agreement) -> Option<Share>| {
                let Some(d) = pick(&fs.default) else { return };
                let line = block
                    .lines()
                    .find(|l| l.starts_with(&format!("| {} {kind} |", fs.facet)))
                    .unwrap_or_else(|| panic!("no {} {kind} row in docs/VALIDATION.md", fs.facet));
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                // | facet | n | learned | default | heuristic | constant | raters (n) | …
                assert_eq!(cells[2], d.n.to_string(), "{line}");
                assert_eq!(
                    cells[4],
                    pct(&d),
                    "{} {kind}: default differs: {REGENERATE}",
                    fs.facet
                );
                assert_eq!(
                    cells[5],
                    pct(&pick(&fs.heuristic).unwrap()),
                    "{} {kind}: heuristic",
                    fs.facet
                );
                assert_eq!(
                    cells[6],
                    pct(&pick(&fs.constant).unwrap()),
                    "{} {kind}: constant",
                    fs.facet
                );
                let r = fs.raters.as_ref().and_then(pick).unwrap();
                assert_eq!(
                    cells[7],
                    format!("{} ({})", pct(&r), r.n),
                    "{} {kind}: raters",
                    fs.facet
                );
                rows += 1;
            };
        check("exact", &|a| Some(a.exact));
        check("within one", &|a| a.within);
    }
    assert_eq!(rows, 12, "nine exact rows and three within-one rows");
}

/// The held-out half's work-mode figure is the one the section "Work mode on people never
/// seen" reports (`half-split.py score … --half held-out`, there from a facets file): the two
/// measurements agree.
#[test]
fn the_held_out_work_mode_figure_is_the_documented_one() {
    let s = summary();
    let h = s.held_out.as_ref().unwrap();
    let doc = doc();
    let wm = s.facet(LearnedFacet::WorkMode).unwrap();
    let a = wm.heuristic_held_out.as_ref().unwrap().exact;
    let row = doc
        .lines()
        .find(|l| l.starts_with(&format!("| held-out ({}) |", h.ratings)))
        .unwrap_or_else(|| panic!("no held-out ({}) row in docs/VALIDATION.md", h.ratings));
    let all = row.split('|').nth(2).unwrap().trim();
    assert!(
        all.ends_with(&format!(
            "→ **{:.1}%** ({} → {})",
            a.p * 100.0,
            all_before(all),
            a.k
        )),
        "held-out work mode {:.1}% ({}/{}) is not the documented {all}: {REGENERATE}",
        a.p * 100.0,
        a.k,
        a.n
    );
    assert_eq!(
        wm.default_classifier, "heuristic",
        "the default keeps the rules for work mode"
    );
    assert!(
        doc.contains(&format!("Development: {} people", s.people - h.people))
            && doc.contains(&format!(
                "Held-out: {} people, {} ratings",
                h.people, h.ratings
            )),
        "the split's sizes differ from docs/VALIDATION.md"
    );
}

/// The other facets' held-out figures of the heuristic are those of the sentence after the
/// work-mode table ("Other facets of the heuristic on the held-out half, …").
#[test]
fn the_held_out_figures_of_the_other_facets_are_the_documented_ones() {
    let s = summary();
    let doc = doc();
    let para = doc
        .split("\n\n")
        .find(|p| p.starts_with("Other facets of the heuristic on the held-out half"))
        .expect("the held-out paragraph of docs/VALIDATION.md")
        .replace('\n', " ");
    // Both spellings occur: `90.0%` and `100%`.
    let forms = |p: f64| {
        let t = format!("{:.1}%", p * 100.0);
        let short = t.strip_suffix(".0%").map(|x| format!("{x}%"));
        std::iter::once(t).chain(short).collect::<Vec<_>>()
    };
    for f in LearnedFacet::ALL
        .into_iter()
        .filter(|f| *f != LearnedFacet::WorkMode)
    {
        let h = s.facet(f).unwrap().heuristic_held_out.clone().unwrap();
        let mut want = forms(h.exact.p);
        if let Some(w) = h.within {
            want = want
                .iter()
                .flat_map(|e| forms(w.p).into_iter().map(move |w| format!("{e} / {w}")))
                .collect();
        }
        let title = f.title();
        // `outcome 85.0% → 85.6%` (before → after) or `codebase relation 72.8%`.
        let found = want.iter().any(|w| {
            para.contains(&format!("{title} {w}"))
                || para.find(&format!("{title} ")).is_some_and(|i| {
                    para[i..]
                        .split(',')
                        .next()
                        .unwrap_or("")
                        .contains(&format!("→ {w}"))
                })
        });
        assert!(
            found,
            "{title}: held-out {want:?} is not in docs/VALIDATION.md's paragraph: {REGENERATE}"
        );
    }
}

/// The "before" count in `46.7% → **47.8%** (84 → 86)`.
fn all_before(cell: &str) -> &str {
    cell.rsplit('(')
        .next()
        .and_then(|t| t.split(' ').next())
        .unwrap_or("")
}
