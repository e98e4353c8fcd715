//! The page, CSVs and results.json written from a synthetic results document.

use agentstat_report::{render_html, table_csv, write_report};
use agentstat_stats::results::*;

fn cell(v: f64, users: u64) -> Cell {
    Cell {
        value: Some(v),
        n_sessions: 10 * users,
        n_users: users,
        ..Default::default()
    }
}

/// A suppressed cell whose producer (wrongly) left numbers in it.
fn leaky_suppressed() -> Cell {
    Cell {
        value: Some(0.123456),
        se: Some(0.0101),
        ci_low: Some(0.1),
        ci_high: Some(0.2),
        p_value: Some(0.03),
        n_sessions: 2,
        n_users: 1,
        suppressed: true,
        ..Default::default()
    }
}

fn results(personal: bool) -> Results {
    Results {
        schema_version: SCHEMA_VERSION,
        generated_by: "agentstat test".into(),
        privacy: Privacy {
            min_users: 5,
            personal_mode: personal,
            suppressed_cells: 1,
            dp: None,
            ..Default::default()
        },
        sample: Sample {
            sessions: 12,
            interactive_sessions: 10,
            excluded: [("no human turns".to_string(), 2)].into(),
            people: if personal { 1 } else { 6 },
            first_day: Some("2026-01-02".into()),
            last_day: Some("2026-02-03".into()),
            agents: [("claude-code".to_string(), 12)].into(),
            agent_people: [("claude-code".to_string(), if personal { 1 } else { 6 })].into(),
            model_families: [("sonnet".to_string(), 12)].into(),
            classifiers: [("heuristic / rules / h-1".to_string(), 10)].into(),
            classifier_notes: vec![
                "Learned labels replace the heuristic's for outcome & more.".into()
            ],
            label_trust: Vec::new(),
            classification_errors: 0,
            skipped_lines: Some(4),
            skipped_by_reason: [
                ("invalid json".to_string(), 3),
                ("invalid utf-8".to_string(), 1),
            ]
            .into(),
            unreadable_sources: Some(2),
            people_identified: if personal { 1 } else { 6 },
            unidentified_key: false,
        },
        tables: vec![
            Table {
                id: "fig1_work_mode".into(),
                figure: "Fig. 1".into(),
                title: "Work mode <shares>".into(),
                reading: "Build leads & Fix follows.".into(),
                study_reference: Some("study: Build 25%".into()),
                chart: Chart::Bars,
                columns: vec![Column {
                    key: "share".into(),
                    label: "Share".into(),
                    unit: "share".into(),
                }],
                rows: vec![
                    Row {
                        label: "Build".into(),
                        cells: vec![cell(0.6, 6)],
                    },
                    Row {
                        label: "Communicate".into(),
                        cells: vec![leaky_suppressed()],
                    },
                    Row {
                        label: "=cmd|' /C calc'!A0".into(),
                        cells: vec![cell(0.1, 6)],
                    },
                ],
                notes: vec!["A note.".into()],
                caution: Vec::new(),
            },
            Table {
                id: "table_a1".into(),
                figure: "Table A1".into(),
                title: "Verified success on expertise".into(),
                reading: String::new(),
                study_reference: None,
                chart: Chart::None,
                columns: vec![Column {
                    key: "coef".into(),
                    label: "Coefficient".into(),
                    unit: "coef".into(),
                }],
                rows: vec![Row {
                    label: "Expertise".into(),
                    cells: vec![Cell {
                        se: Some(0.0009),
                        ..cell(0.0379, 6)
                    }],
                }],
                notes: vec![],
                caution: Vec::new(),
            },
        ],
    }
}

#[test]
fn page_has_every_section_escapes_text_and_labels_suppression() {
    let html = render_html(&results(false));
    for (id, ..) in agentstat_report::html::STUDY_SECTIONS {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    // The learned classifier's notes appear in the sample facts, escaped.
    assert!(html.contains("How far the labels can be trusted"));
    assert!(html.contains("<ul class=\"trust\"><li>Learned labels"));
    assert!(html.contains("for outcome &amp; more."));
    assert!(
        html.contains("Not computed in this run"),
        "missing figures are said to be missing"
    );
    assert!(html.contains("Work mode &lt;shares&gt;"));
    assert!(html.contains("Build leads &amp; Fix follows."));
    assert!(!html.contains("<shares>"));
    assert!(html.contains(r#"<td class="supp" data-suppressed="true""#));
    assert!(html.contains("Privacy threshold: 5 people."));
    assert!(
        html.contains("+0.0379 (0.0009)"),
        "coefficient with its standard error"
    );
    assert!(html.contains("study: Build 25%"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("id=\"personal\""));
}

#[test]
fn personal_mode_is_said_prominently() {
    let html = render_html(&results(true));
    let banner = html.find("Personal mode.").expect("banner");
    let first_figure = html.find("id=\"fig1\"").unwrap();
    assert!(banner < first_figure, "the banner comes before any figure");
    assert!(html.contains("id=\"personal\""));
}

#[test]
fn personal_mode_on_several_user_keys_never_claims_one_person() {
    let mut r = results(true);
    r.sample.people = 3;
    let html = render_html(&r);
    assert!(html.contains("thresholds off at your request (3 user keys)"));
    assert!(!html.contains("one person's sessions"));
}

#[test]
fn withheld_date_range_is_called_suppressed_not_missing() {
    let mut r = results(false);
    r.sample.first_day = None;
    r.sample.last_day = None;
    let html = render_html(&r);
    assert!(html.contains("suppressed (first or last month has fewer than 5 people)"));
    assert!(!html.contains("no timestamps"));
}

#[test]
fn written_files_never_carry_a_suppressed_number() {
    let dir = tempfile::tempdir().unwrap();
    let w = write_report(dir.path(), &results(false)).unwrap();
    assert_eq!(w.tables.len(), 2);
    let html = std::fs::read_to_string(&w.index_html).unwrap();
    let json = std::fs::read_to_string(&w.results_json).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("tables/fig1_work_mode.csv")).unwrap();
    for text in [&html, &json, &csv] {
        assert!(!text.contains("0.123456"), "suppressed value leaked");
        assert!(!text.contains("0.0101"), "suppressed se leaked");
    }
    assert!(
        !html.contains("12%"),
        "the suppressed share is not rendered"
    );
    let line = csv.lines().find(|l| l.starts_with("Communicate,")).unwrap();
    // No reason recorded in this document (it predates them); the class is the default.
    assert_eq!(line, "Communicate,share,Share,share,,,,,,,,true,,count");
    // Spreadsheet formulas in labels are defused.
    assert!(csv.contains("\"'=cmd|' /C calc'!A0\""), "{csv}");
    let r: Results = serde_json::from_str(&json).unwrap();
    let c = r.tables[0].rows[1].cells[0];
    assert!(c.suppressed && c.value.is_none() && c.n_sessions == 0 && c.n_users == 0);
    // A second write replaces, not accumulates, the CSVs.
    let mut fewer = results(false);
    fewer.tables.truncate(1);
    write_report(dir.path(), &fewer).unwrap();
    assert!(!dir.path().join("tables/table_a1.csv").exists());
}

#[test]
fn csv_has_one_line_per_cell() {
    let r = results(false);
    let csv = table_csv(&r.tables[0]);
    assert_eq!(csv.lines().count(), 1 + 3);
    assert!(csv
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("Build,share,Share,share,0.6,"));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(header[header.len() - 2..], ["withheld", "class"]);
}

/// Each withheld cell's reason reaches its CSV line (the `withheld` column), and a published
/// cell has none even if the producer left one.
#[test]
fn csv_says_why_each_cell_is_withheld() {
    let mut r = results(false);
    let t = &mut r.tables[0];
    t.rows[0].cells[0].withheld = Some(Withheld::Dominance);
    t.rows[1].cells[0] = Cell {
        withheld: Some(Withheld::Protection),
        class: OutputClass::Share,
        ..leaky_suppressed()
    };
    t.rows[2].cells[0] = Cell {
        withheld: Some(Withheld::FewPeople),
        class: OutputClass::Coef,
        ..leaky_suppressed()
    };
    let csv = table_csv(t);
    let tails: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplitn(4, ',').take(3).collect::<Vec<_>>().join("|"))
        .collect();
    let published = r.tables[0].rows[0].cells[0].class.key();
    assert_eq!(
        tails,
        [
            format!("{published}||false"),
            "share|protection|true".to_string(),
            "coef|few_people|true".to_string()
        ]
    );
}

#[test]
fn a_fully_suppressed_table_is_one_sentence_not_a_chart_of_hatching() {
    let mut r = results(false);
    for row in &mut r.tables[0].rows {
        row.cells = vec![leaky_suppressed()];
    }
    let html = render_html(&r);
    let start = html.find("id=\"fig1_work_mode\"").unwrap();
    let block = &html[start..start + html[start..].find("</figure>").unwrap()];
    assert!(block.contains("Every cell of this table rests on fewer than 5 people"));
    assert!(
        !block.contains("<svg"),
        "no chart for an all-suppressed table"
    );
    assert_eq!(block.matches(">suppressed</td>").count(), 3);
}

#[test]
fn sample_section_says_what_was_not_read() {
    let html = render_html(&results(true));
    assert!(
        html.contains("4 transcript lines or files skipped (invalid json (3), invalid utf-8 (1)); 2 files or sessions unreadable"),
        "skipped counts on the page"
    );
    // From facets files nothing is known: said, not shown as zero.
    let mut r = results(false);
    r.sample.skipped_lines = None;
    r.sample.skipped_by_reason.clear();
    r.sample.unreadable_sources = None;
    let html = render_html(&r);
    assert!(html.contains("not recorded (report built from facets files)"));
    assert!(!html.contains("transcript lines or files skipped"));
    // results.json carries the counts; a document without them still reads.
    let dir = tempfile::tempdir().unwrap();
    let w = write_report(dir.path(), &results(true)).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&w.results_json).unwrap()).unwrap();
    assert_eq!(v["sample"]["skipped_lines"], 4);
    assert_eq!(v["sample"]["skipped_by_reason"]["invalid utf-8"], 1);
    assert_eq!(v["sample"]["unreadable_sources"], 2);
    let mut old = v.clone();
    for k in ["skipped_lines", "skipped_by_reason", "unreadable_sources"] {
        old["sample"].as_object_mut().unwrap().remove(k);
    }
    let back: Results = serde_json::from_value(old).unwrap();
    assert_eq!(back.sample.skipped_lines, None);
}

fn validation_table(agreement: f64) -> Table {
    Table {
        id: agentstat_report::VALIDATION_WRITES_CODE.into(),
        figure: "Validation".into(),
        title: "Classifier vs telemetry".into(),
        reading: "100% of sessions classified as writing code changed lines.".into(),
        study_reference: None,
        chart: Chart::Bars,
        columns: vec![Column {
            key: "agreement".into(),
            label: "Agreement".into(),
            unit: "share".into(),
        }],
        rows: vec![Row {
            label: "Classified as writing code: lines changed".into(),
            cells: vec![cell(agreement, 6)],
        }],
        notes: vec![],
        caution: Vec::new(),
    }
}

#[test]
fn heuristic_validation_agreement_is_called_true_by_construction() {
    let mut r = results(false);
    r.tables.push(validation_table(1.0));
    let html = render_html(&r);
    assert!(html.contains("true by construction"), "caveat on the page");
    let dir = tempfile::tempdir().unwrap();
    let w = write_report(dir.path(), &r).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&w.results_json).unwrap()).unwrap();
    let t = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "validation_writes_code")
        .unwrap();
    let reading = t["reading"].as_str().unwrap();
    assert!(reading.starts_with("100% of sessions"), "{reading}");
    assert_eq!(
        reading.matches("true by construction").count(),
        1,
        "{reading}"
    );
    // Applying it twice changes nothing.
    let mut again: Results = serde_json::from_value(v.clone()).unwrap();
    agentstat_report::add_caveats(&mut again);
    assert_eq!(again.tables.last().unwrap().reading, reading);

    // An LLM classifier's agreement is a real check: no caveat.
    let mut llm = results(false);
    llm.sample.classifiers = [("anthropic / claude-x / v3".to_string(), 10)].into();
    llm.tables.push(validation_table(0.93));
    assert!(!render_html(&llm).contains("true by construction"));
}

// ---- the agent as a dimension ---------------------------------------------------------------

/// `people` people of `agent`, three sessions each; the first `won` of them Succeeded.
fn agent_facets(agent: &str, people: usize, won: usize) -> Vec<agentstat_facets::Facet> {
    use agentstat_facets::*;
    let prov = Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "1".into(),
    };
    let mut v = Vec::new();
    for u in 0..people {
        for j in 0..3 {
            let ok = |x| Label::ok(x, prov.clone());
            let labels = Labels {
                work_mode: ok(WorkMode::ALL[j]),
                codebase_relation: Label::ok(CodebaseRelation::Modify, prov.clone()),
                decisions: Label::failed("none", prov.clone()),
                expertise: Label::ok(Expertise::from_level(3).unwrap(), prov.clone()),
                user_profile: Label::ok(UserProfile::Unclear, prov.clone()),
                work_performed: Label::ok(Occupation::ComputerMath, prov.clone()),
                outcome: Label::ok(
                    if j < won {
                        Outcome::Succeeded
                    } else {
                        Outcome::Failed
                    },
                    prov.clone(),
                ),
                success_signal: Label::ok(Signal::S4, prov.clone()),
                failure_signal: Label::ok(Signal::S1, prov.clone()),
                task_value: Label::failed("none", prov.clone()),
            };
            v.push(Facet {
                session_key: format!("{agent}-{u}-{j}"),
                user_key: format!("{agent}-user{u}"),
                agent: agent.into(),
                agent_version: None,
                interactive: true,
                excluded_reason: None,
                telemetry: Telemetry {
                    human_turns: 2,
                    model_calls: Some(5),
                    ..Telemetry::default()
                },
                habits: None,
                labels: Some(labels),
            });
        }
    }
    v
}

#[test]
fn by_agent_tables_are_rendered_and_exported_with_two_agents() {
    let mut facets = agent_facets("agent-a", 4, 2);
    facets.extend(agent_facets("agent-b", 4, 1));
    // Unrounded (the rules before output classes): the test reads exact shares.
    let r = agentstat_stats::analyses::analyse(
        &facets,
        &agentstat_stats::analyses::AnalysisOptions {
            min_users: 3,
            personal: false,
            rules: agentstat_stats::privacy::Rules::legacy(),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let w = write_report(dir.path(), &r).unwrap();
    let html = std::fs::read_to_string(&w.index_html).unwrap();
    let section = &html[html
        .find(r#"<section class="part" id="byagent""#)
        .expect("section")..];
    let section = &section[..section.find("</section>").unwrap()];
    for id in ["by_agent", "by_agent_work_mode"] {
        assert!(
            section.contains(&format!(r#"<figure class="tbl" id="{id}""#)),
            "{id}"
        );
    }
    assert!(section.contains("<svg"), "charts drawn");
    assert!(html.contains(r##"<a href="#byagent">By agent</a>"##));
    // Judged success 2 of 3 and 1 of 3, 12 sessions of 4 people each.
    assert!(
        section.contains("67%") && section.contains("33%"),
        "{section}"
    );
    // The sample names each agent with its sessions and people.
    assert!(html.contains("agent-a (12 sessions, 4 people)"));
    // The CSV export has the tables, one line per cell.
    let csv = std::fs::read_to_string(dir.path().join("tables/by_agent.csv")).unwrap();
    let t = r.tables.iter().find(|t| t.id == "by_agent").unwrap();
    assert_eq!(csv.lines().count(), 1 + t.rows.len() * t.columns.len());
    assert!(csv.contains("\nagent-a,judged,Judged success,rate,0.666"));
    assert!(dir.path().join("tables/by_agent_work_mode.csv").exists());
}

#[test]
fn one_agent_says_why_there_is_no_by_agent_table() {
    let facets = agent_facets("agent-a", 4, 2);
    let r = agentstat_stats::analyses::analyse(
        &facets,
        &agentstat_stats::analyses::AnalysisOptions {
            min_users: 3,
            personal: false,
            ..Default::default()
        },
    );
    let html = render_html(&r);
    let section = &html[html.find(r#"id="byagent""#).expect("section")..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("no by-agent table (it would repeat the totals)"));
    assert!(!section.contains("<figure"));
    assert!(!html.contains(r##"<a href="#byagent">"##));
}

// ---- the personal section -------------------------------------------------------------------

#[test]
fn personal_section_renders_advice_first_study_values_and_honest_charts() {
    // One person: 12 sessions over 4 months; subagents in the 6 successes.
    let mut f = agent_facets("claude-code", 4, 2);
    for (i, x) in f.iter_mut().enumerate() {
        x.user_key = "me".into();
        x.telemetry.month = Some(format!("2026-0{}", 1 + i % 4));
        x.telemetry.subagents = u32::from(i % 3 < 2);
    }
    let mut r = results(true);
    r.tables
        .extend(agentstat_report::personal_habits(&f, 10, true));
    let html = render_html(&r);
    let sec = &html[html.find("id=\"personal\"").unwrap()..html.find("id=\"fig1\"").unwrap()];
    let pos = |id: &str| {
        sec.find(&format!("<figure class=\"tbl\" id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} in the personal section"))
    };
    assert!(pos("personal_advice") < pos("personal_habits_success"));
    assert!(pos("personal_habits_success") < pos("personal_habits_trouble"));
    assert!(pos("personal_habits_trouble") < pos("personal_vs_study"));
    assert!(pos("personal_vs_study") < pos("personal_activity"));
    assert!(pos("personal_activity") < pos("personal_trend"));
    // Published study values without counts; the rest "not published".
    assert!(sec.contains(r#"<td class="study">48%</td>"#), "{sec}");
    assert!(sec.contains(">not published</td>"));
    // Labels carry their counts, in the chart as in the table.
    assert!(sec.contains("Delegated to subagents (8 of 12 sessions)"));
    // No zero-width interval anywhere, no "too few people".
    let zero = regex_free_zero_width(&html);
    assert!(zero.is_none(), "zero-width interval: {zero:?}");
    assert!(!sec.to_lowercase().contains("too few people"));
}

/// The first `[a, b]` with `a == b` in the page's text, if any.
fn regex_free_zero_width(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(i) = rest.find('[') {
        let tail = &rest[i + 1..];
        let Some(j) = tail.find(']') else { break };
        if let Some((a, b)) = tail[..j].split_once(", ") {
            if a == b && !a.is_empty() && a.len() < 20 {
                return Some(tail[..j].to_string());
            }
        }
        rest = &tail[j..];
    }
    None
}

/// Withheld cells say why, per cell, per table and in the banner; a table whose cells are all
/// withheld by the protection does not claim "fewer than k people".
#[test]
fn withheld_cells_say_why() {
    let mut r = results(false);
    let withheld = |w: Withheld| Cell {
        suppressed: true,
        withheld: Some(w),
        class: OutputClass::Share,
        ..Default::default()
    };
    r.tables[0].rows[0].cells[0] = withheld(Withheld::Protection);
    r.tables[0].rows[1].cells[0] = withheld(Withheld::Dominance);
    r.privacy.round_base = 5;
    r.privacy.suppressed_cells = 2;
    let html = render_html(&r);
    assert!(
        html.contains("withheld so that a hidden cell cannot be recovered from other tables"),
        "cell tooltip and table line"
    );
    let at = html.find("class=\"withheld\"").map(|i| &html[i..i + 300]);
    assert!(html.contains(r#"<p class="withheld">Withheld: 1 cell withheld so that a hidden cell cannot be recovered from other tables; 1 cell withheld: dominated by one or two people.</p>"#), "{at:?}");
    assert!(html.contains("Counts are rounded to multiples of 5"));
    // The sample's card does not call them all "fewer than k".
    let card = &html[html.find("sample-suppressed").unwrap()..];
    assert!(
        card[..400].contains("2 protected or dominated"),
        "{}",
        &card[..400]
    );
    // A table with every cell withheld by the protection says so, not "fewer than k".
    let mut all = results(false);
    for row in &mut all.tables[0].rows {
        for c in &mut row.cells {
            *c = withheld(Withheld::Protection);
        }
    }
    let html = render_html(&all);
    let fig = &html[html.find(r#"id="fig1_work_mode""#).unwrap()..];
    let fig = &fig[..fig.find("</figure>").unwrap()];
    assert!(fig.contains("No cell of this table is published"), "{fig}");
    assert!(!fig.contains("rests on fewer than"), "{fig}");
}
