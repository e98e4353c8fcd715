//! The report says, for every facet, which classifier made the labels and how far they agree
//! with careful raters (the embedded validation summary), and puts a note on the tables that
//! rest on labels below the trust threshold: with the default classifier, with
//! `--classifier heuristic`, and for LLM labels read from a facets file ("not validated here").

use agentstat_learn::{LearnedFacet, Summary};
use std::path::{Path, PathBuf};
use std::process::Output;

mod support;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude/projects")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "agentstat failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `report` with `args`, into `home/<out>`: (index.html, results.json).
fn report(home: &Path, out: &str, args: &[&str]) -> (String, serde_json::Value) {
    let o = support::agentstat_salted(home, "trust-test-salt")
        .args(["report", "--no-cache", "--out", out])
        .args(args)
        .output()
        .unwrap();
    ok(&o);
    let dir = home.join(out);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    (html, json)
}

/// `sample.label_trust`'s entry for `facet` (the only one: one classifier per facet here).
fn trust<'a>(r: &'a serde_json::Value, facet: &str) -> &'a serde_json::Value {
    let all: Vec<&serde_json::Value> = r["sample"]["label_trust"]
        .as_array()
        .expect("sample.label_trust")
        .iter()
        .filter(|t| t["facet"] == facet)
        .collect();
    assert_eq!(all.len(), 1, "{facet}: {all:#?}");
    all[0]
}

fn notes(r: &serde_json::Value) -> Vec<String> {
    r["sample"]["classifier_notes"]
        .as_array()
        .map(|a| a.iter().map(|n| n.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn table_notes(r: &serde_json::Value, id: &str) -> Vec<String> {
    let t = r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no table {id}"));
    // The caution shown above the table's chart (`tables[].caution`).
    t["caution"]
        .as_array()
        .map(|a| a.iter().map(|n| n.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// The sentence about `facet` (it starts with the facet's name).
fn sentence<'a>(notes: &'a [String], facet: &str) -> &'a str {
    notes
        .iter()
        .find(|n| n.starts_with(&format!("{facet}:")))
        .unwrap_or_else(|| panic!("no sentence on {facet} in {notes:#?}"))
}

/// The page shows `text` (HTML-escaped as the report escapes).
fn on_page(html: &str, text: &str) -> bool {
    html.contains(
        &text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;"),
    ) || html.contains(
        &text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    )
}

#[test]
fn the_default_report_says_how_far_each_facet_can_be_trusted() {
    let s = Summary::embedded().unwrap();
    let home = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let (html, r) = report(home.path(), "out", &[fx.to_str().unwrap(), "--user", "me"]);
    let n = notes(&r);
    // Every facet the report shows has its sentence.
    for f in [
        "Work mode",
        "Codebase relation",
        "Decision attribution",
        "Expertise",
        "User profile",
        "Work performed",
        "Outcome",
        "Success signal",
        "Failure signal",
        "Value band",
    ] {
        let t = sentence(&n, f);
        assert!(on_page(&html, t), "{f}: the sentence is not on the page");
    }
    // Work mode: the rules (kept by the default), quoted on the held-out half, below the
    // threshold: the note is on Fig. 1 and on the by-month figure, in the JSON and on the page.
    let wm = s.facet(LearnedFacet::WorkMode).unwrap();
    let held = wm.heuristic_held_out.as_ref().unwrap().exact;
    let t = sentence(&n, "Work mode");
    assert!(t.contains("labelled by the heuristic rules"), "{t}");
    assert!(
        t.contains(&format!(
            "exact agreement with careful raters {:.0}% [{:.0}–{:.0}]",
            held.p * 100.0,
            held.lo * 100.0,
            held.hi * 100.0
        )),
        "{t}"
    );
    assert!(t.contains("held-out half"), "{t}");
    let raters = wm.raters.as_ref().unwrap().exact.p;
    assert!(
        t.contains(&format!("two raters agree {:.0}%", raters * 100.0)),
        "{t}"
    );
    let rough = format!(
        "Work mode: the labels agree with careful raters about half ({:.0}%) of the time on people outside the validation (raters with each other {:.0}%): read figures by work mode as rough.",
        held.p * 100.0,
        raters * 100.0
    );
    for id in [
        "fig1_work_mode",
        "fig4_work_mode_by_month",
        "fig4_value_by_mode",
    ] {
        assert!(
            table_notes(&r, id).contains(&rough),
            "{id}: {:#?}",
            table_notes(&r, id)
        );
    }
    assert!(on_page(&html, &rough), "the work-mode note is on the page");
    // Above Fig. 1's chart, in its figure.
    let fig1 = &html[html
        .find(r#"<figure class="tbl" id="fig1_work_mode""#)
        .expect("Fig. 1")..];
    let fig1 = &fig1[..fig1.find("</figure>").unwrap()];
    let at = fig1
        .find(r#"<p class="caution">"#)
        .expect("a caution on Fig. 1");
    assert!(fig1[at..].contains("read figures by work mode as rough"));
    assert!(
        fig1.find("<svg").is_none_or(|svg| at < svg),
        "the caution comes before the chart"
    );
    // The same as data.
    let t = trust(&r, "work_mode");
    assert_eq!(t["classifier"], "heuristic");
    assert_eq!(t["source"], s.rules_version.as_str());
    assert_eq!(t["rough"], "low");
    assert_eq!(t["agreement"]["basis"], "held_out_half");
    assert_eq!(t["agreement"]["ratings"], held.n as u64);
    assert_eq!(t["agreement"]["exact"].as_f64(), Some(held.p));
    assert_eq!(t["agreement"]["raters"].as_f64(), Some(raters));
    let t = trust(&r, "user_profile");
    assert_eq!(
        (&t["classifier"], &t["rough"]),
        (&"learned".into(), &"constant".into())
    );
    assert_eq!(
        trust(&r, "codebase_relation")["rough"],
        serde_json::Value::Null
    );
    assert_eq!(
        trust(&r, "codebase_relation")["agreement"]["basis"],
        "nested_validation"
    );
    assert_eq!(trust(&r, "decisions")["rough"], "not_validated");
    // Expertise (rules): below the threshold on the held-out half, within one level quoted.
    let ex = s
        .facet(LearnedFacet::Expertise)
        .unwrap()
        .heuristic_held_out
        .clone()
        .unwrap();
    assert!(
        table_notes(&r, "fig3_regression").iter().any(|x| x
            .starts_with("Expertise: the labels agree with careful raters")
            && x.contains(&format!(
                "({:.0}% within one level)",
                ex.within.unwrap().p * 100.0
            ))),
        "{:#?}",
        table_notes(&r, "fig3_regression")
    );
    // Codebase relation: the learned model, above the threshold: no note on its figure.
    let t = sentence(&n, "Codebase relation");
    assert!(
        t.contains("labelled by the learned model (the default)"),
        "{t}"
    );
    assert!(t.contains("nested person-grouped validation"), "{t}");
    assert!(
        !table_notes(&r, "fig1_codebase_relation")
            .iter()
            .any(|x| x.starts_with("Codebase relation:")),
        "{:#?}",
        table_notes(&r, "fig1_codebase_relation")
    );
    // User profile: the constant: occupation shares say nothing.
    assert!(
        s.facet(LearnedFacet::UserProfile)
            .unwrap()
            .default_is_constant
    );
    let up = "User profile: the same label for every session (the classifier always answers the most common one): figures by user profile say nothing about these sessions.";
    assert!(
        table_notes(&r, "fig6_occupation").iter().any(|x| x == up),
        "{:#?}",
        table_notes(&r, "fig6_occupation")
    );
    assert!(on_page(&html, up));
    // Decision attribution: no validation on unseen people.
    assert!(
        table_notes(&r, "fig2_user_decision_share")
            .iter()
            .any(|x| x.starts_with(
                "Decision attribution labels by the heuristic rules are not validated here"
            )),
        "{:#?}",
        table_notes(&r, "fig2_user_decision_share")
    );
}

#[test]
fn the_heuristic_classifier_gets_the_heuristics_figures() {
    let s = Summary::embedded().unwrap();
    let home = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let (_, r) = report(
        home.path(),
        "out",
        &[
            fx.to_str().unwrap(),
            "--user",
            "me",
            "--classifier",
            "heuristic",
        ],
    );
    let n = notes(&r);
    let cr = s.facet(LearnedFacet::CodebaseRelation).unwrap();
    let held = cr.heuristic_held_out.as_ref().unwrap().exact;
    let t = sentence(&n, "Codebase relation");
    assert!(t.contains("labelled by the heuristic rules"), "{t}");
    assert!(
        t.contains(&format!("careful raters {:.0}% [", held.p * 100.0)),
        "{t}"
    );
    // The heuristic's user profile agrees with raters less often than the constant does.
    let up = s.facet(LearnedFacet::UserProfile).unwrap();
    assert!(up.heuristic.exact.p <= up.constant.exact.p);
    assert!(
        table_notes(&r, "fig6_occupation").iter().any(|x| x.starts_with("User profile: the labels agree with careful raters no more often than always answering")),
        "{:#?}",
        table_notes(&r, "fig6_occupation")
    );
    assert!(!n.iter().any(|x| x.contains("learned model")), "{n:#?}");
}

#[test]
fn llm_labels_are_not_validated_here() {
    let home = tempfile::tempdir().unwrap();
    let fx = fixtures();
    report(
        home.path(),
        "first",
        &[fx.to_str().unwrap(), "--user", "me"],
    );
    let mut facets =
        agentstat_facets::parquet::read_facets(home.path().join("first/facets.parquet")).unwrap();
    assert!(facets.iter().any(|f| f.labels.is_some()));
    for f in &mut facets {
        if let Some(l) = f.labels.as_mut() {
            for p in [
                &mut l.work_mode.provenance,
                &mut l.codebase_relation.provenance,
                &mut l.decisions.provenance,
                &mut l.expertise.provenance,
                &mut l.user_profile.provenance,
                &mut l.work_performed.provenance,
                &mut l.outcome.provenance,
                &mut l.success_signal.provenance,
                &mut l.failure_signal.provenance,
                &mut l.task_value.provenance,
            ] {
                p.backend = "anthropic".into();
                p.model = "claude-sonnet-4-5".into();
                p.prompt_version = "p-1".into();
            }
            l.work_mode.confidence = None;
        }
    }
    let file = home.path().join("llm.parquet");
    agentstat_facets::parquet::write_facets(&file, &facets).unwrap();
    let (html, r) = report(
        home.path(),
        "second",
        &["--facets", file.to_str().unwrap(), "--personal"],
    );
    let n = notes(&r);
    let t = sentence(&n, "Work mode");
    assert!(
        t.contains("labelled by an LLM (anthropic / claude-sonnet-4-5); not validated here"),
        "{t}"
    );
    assert!(
        !n.iter()
            .any(|x| x.contains("careful raters 4") || x.contains("% [")),
        "no validated figure is quoted: {n:#?}"
    );
    let note = "Work mode labels by an LLM (anthropic / claude-sonnet-4-5) are not validated here: how far they agree with careful raters is not known.";
    assert!(
        table_notes(&r, "fig1_work_mode").iter().any(|x| x == note),
        "{:#?}",
        table_notes(&r, "fig1_work_mode")
    );
    assert!(on_page(&html, note));
    let t = trust(&r, "work_mode");
    assert_eq!(t["classifier"], "llm");
    assert_eq!(t["source"], "anthropic / claude-sonnet-4-5");
    assert_eq!(t["agreement"], serde_json::Value::Null);
    assert_eq!(t["rough"], "not_validated");
}
