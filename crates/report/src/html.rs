//! The self-contained report page: inline CSS, inline SVG, no script, no external resource.

use crate::fmt::{cell_text, esc, figure_slug, safe_id, thousands, value};
use crate::svg;
use agentstat_stats::personal::{
    ACTIVITY_ID, ADVICE_ID, PERSONAL_FIGURE, STUDY_ID, SUCCESS_ID, TREND_ID, TROUBLE_ID,
};
use agentstat_stats::results::{Results, Table, Withheld};
use std::fmt::Write;

/// The study's figures and tables (rubric §5), in report order: (section id, figure name,
/// heading, what it shows). Every one gets a section, computed or not, so a reader sees what is
/// missing instead of wondering.
pub const STUDY_SECTIONS: &[(&str, &str, &str, &str)] = &[
    ("fig1", "Fig. 1", "What the sessions are about", "Share of sessions by work mode, and how sessions relate to a codebase."),
    ("fig2", "Fig. 2", "Who decides", "How much of the planning and of the execution the agent decided, across sessions."),
    ("fig3", "Fig. 3", "How much the agent does per prompt", "Actions and output words per prompt by expertise level, and the regression of their logs on expertise."),
    ("fig4", "Fig. 4", "Over time", "Work-mode shares by month, and the task-value index by month and by mode."),
    ("fig5", "Fig. 5", "Success by expertise", "Adjusted success rates by expertise level, and what happens in sessions that hit trouble."),
    ("fig6", "Fig. 6", "Success by occupation", "Judged and verified success by the user's likely occupation, among sessions that wrote code."),
    ("figa1", "Fig. A1", "What the outcome labels rest on", "Share of sessions judged Succeeded at each success-signal and failure-signal level."),
    ("figa2", "Fig. A2", "Agent activity by delegation", "Actions and words per prompt by the share of decisions attributed to the agent."),
    ("tablea1", "Table A1", "Verified success on expertise, with controls", "Linear probability model of verified success on expertise, adding fixed effects step by step; standard errors clustered by user."),
    ("tablea2", "Table A2", "Verified success by expertise level", "The same model with one indicator per level (Novice omitted): coefficients, unadjusted and adjusted rates."),
];

/// The by-agent section (not a study figure): tables whose figure is `By agent`.
pub const BY_AGENT_SECTION: (&str, &str, &str, &str) = (
    "byagent",
    "By agent",
    "Each agent apart",
    "Sessions, people, success measures and work modes for each agent, when the data hold more than one.",
);

const CSS: &str = r#"
:root{--fg:#1d2430;--muted:#5b6678;--line:#d9dee7;--bg:#f6f7f9;--card:#fff;--accent:#0072B2;--warn:#8a5a00;--warnbg:#fff4dc}
*{box-sizing:border-box}
html{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}
main{max-width:1000px;margin:0 auto;padding:24px 20px 60px}
header.top{background:#12263f;color:#fff;padding:28px 20px 22px}
header.top .inner{max-width:1000px;margin:0 auto}
header.top h1{margin:0 0 4px;font-size:1.75rem;font-weight:650;letter-spacing:-.01em}
header.top p{margin:0;color:#c5d3e6}
.banner{margin:18px 0 8px;padding:12px 16px;border-radius:8px;border:1px solid;font-size:.95rem}
.banner.personal{background:var(--warnbg);border-color:#e2b65a;color:#4a3300}
.banner.team{background:#e8f3fb;border-color:#8cc0e3;color:#0b3553}
.banner strong{font-weight:650}
nav.toc{margin:14px 0 4px;font-size:.9rem;color:var(--muted)}
nav.toc a{color:var(--accent);text-decoration:none;margin-right:12px;white-space:nowrap}
nav.toc a:hover{text-decoration:underline}
section.part{margin-top:34px}
section.part>h2{font-size:1.3rem;margin:0 0 4px;font-weight:650}
section.part>h2 .fig{color:var(--accent);font-weight:700;margin-right:6px}
section.part>p.what{margin:0 0 12px;color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin:10px 0 14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .k{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.card .v{font-size:1.45rem;font-weight:650;line-height:1.25}
.card .s{font-size:.82rem;color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
figure.tbl{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:14px 0;padding:14px 16px 10px;break-inside:avoid}
figure.tbl h3{margin:0 0 4px;font-size:1.05rem;font-weight:650}
figure.tbl h3 .id{font-weight:400;color:var(--muted);font-size:.8rem;margin-left:6px}
p.reading{margin:2px 0 6px;font-size:1rem}
p.study{margin:0 0 8px;font-size:.88rem;color:#234}
p.study .tag,span.tag{display:inline-block;background:#e8eef6;color:#1e3a5f;border-radius:4px;padding:0 6px;margin-right:6px;font-size:.75rem;font-weight:650;text-transform:uppercase;letter-spacing:.04em}
svg.chart{width:100%;height:auto;display:block;margin:6px 0}
svg.chart text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#2b3340}
svg.chart .tick{fill:#5b6678;font-size:11px}
svg.chart .axis-title{fill:#3b4452;font-size:12px;font-weight:600}
svg.chart .vl{font-size:11px;fill:#1d2430}
svg.chart .na{fill:#5b6678;font-style:italic}
svg.chart .lg{font-size:12px}
svg.chart .foot{fill:#6a4a00;font-size:11px}
svg.chart .supp-label{fill:#555;font-size:11px;font-style:italic}
svg.chart .seg-label{font-size:11px;fill:#1d2430}
svg.chart .seg-label.light{fill:#fff}
svg.chart .grid{stroke:#e6e9ef;stroke-width:1}
svg.chart .axis{stroke:#8b94a3;stroke-width:1}
svg.chart .zero{stroke:#8b94a3;stroke-dasharray:3 3}
svg.chart .ci{stroke:#1d2430;stroke-width:1.4;fill:none}
svg.chart .band{fill:#f5f7fa}
details.numbers{margin:6px 0 4px}
details.numbers summary{cursor:pointer;color:var(--accent);font-size:.9rem}
.scroll{overflow-x:auto}
table.num{border-collapse:collapse;width:100%;font-size:.86rem;margin:6px 0}
table.num caption{text-align:left;color:var(--muted);font-size:.8rem;padding:2px 0 4px}
table.num th,table.num td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:right;vertical-align:top}
table.num th:first-child,table.num td:first-child{text-align:left}
table.num thead th{background:#f1f3f7;font-weight:600}
table.num td .n{display:block;color:var(--muted);font-size:.75rem}
td.supp{color:#555;font-style:italic;background:repeating-linear-gradient(45deg,#f7f7f7,#f7f7f7 4px,#eee 4px,#eee 8px)}
td.na{color:var(--muted)}
ul.notes{margin:4px 0 2px;padding-left:18px;color:var(--muted);font-size:.84rem}
ul.trust{margin:0;padding-left:18px}
p.caution{margin:4px 0 8px;padding:6px 10px;border-left:4px solid #E69F00;background:#fff8e6;font-size:.88rem}
p.caution .tag{font-weight:600;margin-right:6px}
p.allsupp{background:repeating-linear-gradient(45deg,#f7f7f7,#f7f7f7 6px,#eee 6px,#eee 12px);border:1px solid var(--line);border-radius:8px;padding:10px 14px;color:#444;margin:8px 0}
p.missing{background:var(--card);border:1px dashed var(--line);border-radius:8px;padding:12px 16px;color:var(--muted)}
footer h2{font-size:1rem;margin:0 0 8px;color:var(--fg)}
footer dl.facts{font-size:.84rem;margin-bottom:14px}
footer{margin-top:40px;color:var(--muted);font-size:.84rem;border-top:1px solid var(--line);padding-top:12px}
@media (max-width:640px){html{font-size:14px}dl.facts{grid-template-columns:1fr}}
@media print{
 html{background:#fff;font-size:11pt}
 header.top{background:#fff;color:#000;padding:0 0 8px;border-bottom:2px solid #000}
 header.top p{color:#333}
 nav.toc,details.numbers summary{display:none}
 main{max-width:none;padding:0}
 figure.tbl,.card,dl.facts{border-color:#bbb;box-shadow:none}
 section.part{break-before:auto}
 details.numbers::details-content{content-visibility:visible;display:block}
 details.numbers>*{display:block}
 a{color:#000;text-decoration:none}
}
"#;

/// The whole page for a results document.
pub fn page(r: &Results) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let personal = r.privacy.personal_mode;
    let title = if personal {
        "How you work with your coding agent"
    } else {
        "How the team works with coding agents"
    };
    let _ = write!(
        o,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="generator" content="{gen}"><title>agentstat report</title><style>{CSS}</style></head><body><header class="top"><div class="inner"><h1>{title}</h1><p>{sub}</p></div></header><main>"#,
        gen = esc(&r.generated_by),
        sub = esc(&subtitle(r)),
    );
    banner(&mut o, r);
    toc(&mut o, r);
    sample(&mut o, r);
    if personal {
        personal_section(&mut o, r);
    }
    let k = r.privacy.min_users;
    for &(slug, fig, heading, what) in STUDY_SECTIONS {
        let what = section_what(slug, what, personal);
        let tables: Vec<&Table> = r
            .tables
            .iter()
            .filter(|t| figure_slug(&t.figure) == slug)
            .collect();
        let _ = write!(
            o,
            r#"<section class="part study-figure" id="{slug}" data-figure="{fig}"><h2><span class="fig">{fig}</span>{h}</h2><p class="what">{w}</p>"#,
            fig = esc(fig),
            h = esc(heading),
            // The captions speak of clustering by user; one person's report says what it did.
            w = esc(&if r.privacy.personal_mode {
                agentstat_stats::analyses::personal_words(what)
            } else {
                what.to_string()
            })
        );
        if tables.is_empty() {
            let _ = write!(
                o,
                r#"<p class="missing">Not computed in this run: the analysis returned no table for {}.</p>"#,
                esc(fig)
            );
        }
        for t in tables {
            table_block(&mut o, t, k);
        }
        o.push_str("</section>");
    }
    by_agent_section(&mut o, r);
    let others: Vec<&Table> = r
        .tables
        .iter()
        .filter(|t| {
            let s = figure_slug(&t.figure);
            !STUDY_SECTIONS.iter().any(|x| x.0 == s)
                && s != BY_AGENT_SECTION.0
                && t.figure != PERSONAL_FIGURE
        })
        .collect();
    if !others.is_empty() {
        o.push_str(r#"<section class="part" id="other"><h2>Checks and other tables</h2><p class="what">Classifier validation and tables beyond the study's figures.</p>"#);
        for t in others {
            table_block(&mut o, t, k);
        }
        o.push_str("</section>");
    }
    footer(&mut o, r);
    o.push_str("</main></body></html>\n");
    o
}

/// A study section's one-line description, in the words of the mode: one person's regressions
/// have no users to cluster on, so their standard errors are robust over sessions (HC1).
fn section_what(slug: &str, what: &'static str, personal: bool) -> &'static str {
    match (slug, personal) {
        ("tablea1", true) => "Linear probability model of verified success on expertise, adding fixed effects step by step, within your sessions; heteroskedasticity-robust (HC1) standard errors over sessions.",
        _ => what,
    }
}

/// The by-agent tables, or why there are none (the analysis says so in a note, e.g. "one
/// agent: the table would repeat the totals"). Nothing for a document with no tables at all.
fn by_agent_section(o: &mut String, r: &Results) {
    let (slug, fig, heading, what) = BY_AGENT_SECTION;
    let tables: Vec<&Table> = r
        .tables
        .iter()
        .filter(|t| figure_slug(&t.figure) == slug)
        .collect();
    if tables.is_empty() && !r.tables.iter().any(|t| t.figure != PERSONAL_FIGURE) {
        return;
    }
    let _ = write!(
        o,
        r#"<section class="part" id="{slug}" data-figure="{fig}"><h2><span class="fig">{fig}</span>{h}</h2><p class="what">{w}</p>"#,
        fig = esc(fig),
        h = esc(heading),
        w = esc(what)
    );
    if tables.is_empty() {
        let why = r
            .tables
            .iter()
            .flat_map(|t| &t.notes)
            .find(|n| n.contains("no by-agent table"))
            .map_or("The analysis returned no table by agent.", String::as_str);
        let _ = write!(o, r#"<p class="missing">{}</p>"#, esc(why));
    }
    for t in tables {
        table_block(o, t, r.privacy.min_users);
    }
    o.push_str("</section>");
}

fn subtitle(r: &Results) -> String {
    let s = &r.sample;
    let mut parts = vec![format!(
        "{} interactive sessions of {}",
        thousands(s.interactive_sessions as i64),
        thousands(s.sessions as i64)
    )];
    if !r.privacy.personal_mode {
        parts.push(format!("{} people", thousands(s.people as i64)));
    }
    if let (Some(a), Some(b)) = (&s.first_day, &s.last_day) {
        parts.push(format!("{a} to {b}"));
    }
    parts.push(r.generated_by.clone());
    parts.join(" · ")
}

fn banner(o: &mut String, r: &Results) {
    let p = &r.privacy;
    if p.personal_mode && r.sample.people > 1 {
        // Asked for with --personal on data carrying several user keys (e.g. one person on
        // several machines): say what was done, never claim it is one person.
        let _ = write!(
            o,
            r#"<div class="banner personal" id="privacy-banner" role="note"><strong>Personal mode: thresholds off at your request ({} user keys).</strong> The privacy threshold (at least {} people per number) does not apply and no number is suppressed. Use this only if all these sessions are yours; do not share this page as an anonymous team summary.</div>"#,
            r.sample.people, p.min_users
        );
    } else if p.personal_mode {
        let _ = write!(
            o,
            r#"<div class="banner personal" id="privacy-banner" role="note"><strong>Personal mode.</strong> These are one person's sessions, so the privacy threshold (at least {} people per number) does not apply and no number is suppressed. Every figure describes you: do not share this page as an anonymous team summary.</div>"#,
            p.min_users
        );
    } else {
        let _ = write!(
            o,
            r#"<div class="banner team" id="privacy-banner" role="note"><strong>Privacy threshold: {k} people.</strong> Every number below comes from at least {k} distinct people; {n} cell{s} {why} shown as “suppressed”, never as zero.{rounding}{few}{dp}</div>"#,
            k = p.min_users,
            n = thousands(p.suppressed_cells as i64),
            s = if p.suppressed_cells == 1 { "" } else { "s" },
            why = {
                let mut all: Vec<(Withheld, usize)> = Vec::new();
                for t in &r.tables {
                    for (w, n) in withheld_counts(t) {
                        match all.iter_mut().find(|(x, _)| *x == w) {
                            Some(e) => e.1 += n,
                            None => all.push((w, n)),
                        }
                    }
                }
                all.sort_by_key(|(w, _)| *w as u8);
                if all.iter().all(|(w, _)| *w == Withheld::FewPeople) {
                    "with fewer were suppressed and are".to_string()
                } else {
                    format!(
                        "are withheld ({}) and",
                        esc(&reasons_text(&all, p.min_users))
                    )
                }
            },
            rounding = if p.round_base > 1 {
                format!(
                    " Counts are rounded to multiples of {b} and shares shown at the precision that rounding allows, so that no hidden cell can be recovered exactly by combining tables.",
                    b = p.round_base
                )
            } else {
                String::new()
            },
            few = if r.sample.people < u64::from(p.min_users) {
                format!(
                    " These data hold only {} people, fewer than the threshold, so nothing can be published; a lower threshold is set with <code>--min-users</code>, if everyone in the data agrees.{}",
                    r.sample.people,
                    why_people(&r.sample)
                )
            } else {
                String::new()
            },
            dp = match &p.dp {
                Some(d) => format!(
                    " Differential-privacy noise was added ({}, total ε = {}).",
                    esc(&d.mechanism),
                    d.total_epsilon
                ),
                None => String::new(),
            }
        );
    }
}

/// Why there are that many people, when one of the keys is the unidentified fallback (sessions
/// whose working folder names no home directory): they may all be the reader's own.
fn why_people(s: &agentstat_stats::results::Sample) -> String {
    if !s.unidentified_key {
        return String::new();
    }
    format!(
        " They are {} {} by home directory plus one key shared by the sessions whose working folder names no home directory. If all these sessions are yours, run <code>agentstat --personal</code> (or <code>agentstat --user NAME</code>) on them.",
        s.people_identified,
        if s.people_identified == 1 { "person" } else { "people" }
    )
}

fn toc(o: &mut String, r: &Results) {
    o.push_str(r##"<nav class="toc" aria-label="Contents"><a href="#sample">Sample</a>"##);
    if r.privacy.personal_mode {
        o.push_str(r##"<a href="#personal">Your habits</a>"##);
    }
    for (slug, fig, _, _) in STUDY_SECTIONS {
        let _ = write!(o, r##"<a href="#{slug}">{}</a>"##, esc(fig));
    }
    if r.tables
        .iter()
        .any(|t| figure_slug(&t.figure) == BY_AGENT_SECTION.0)
    {
        let _ = write!(
            o,
            r##"<a href="#{}">{}</a>"##,
            BY_AGENT_SECTION.0,
            esc(BY_AGENT_SECTION.1)
        );
    }
    o.push_str("</nav>");
}

fn map_list(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none recorded".into();
    }
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| format!("{} ({})", esc(k), thousands(**n as i64)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sessions and people per agent (`sample.agents`, `sample.agent_people`; the people are
/// missing from documents written before they were added).
fn agents_list(s: &agentstat_stats::results::Sample) -> String {
    if s.agents.is_empty() {
        return "none recorded".into();
    }
    let mut v: Vec<(&String, &u64)> = s.agents.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| {
            let sessions = format!(
                "{} session{}",
                thousands(**n as i64),
                if **n == 1 { "" } else { "s" }
            );
            match s.agent_people.get(*k) {
                Some(p) => format!(
                    "{} ({sessions}, {} {})",
                    esc(k),
                    thousands(*p as i64),
                    if *p == 1 { "person" } else { "people" }
                ),
                None => format!("{} ({sessions})", esc(k)),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn sample(o: &mut String, r: &Results) {
    let s = &r.sample;
    // Sessions less interactive ones: the same number as the sum over reasons when counts are
    // exact, and, when the team's counts are rounded (each on its own), consistent with the two
    // cards beside it rather than a sum of rounded parts.
    let excluded = s.sessions.saturating_sub(s.interactive_sessions);
    o.push_str(r#"<section class="part" id="sample"><h2>The sample</h2><p class="what">What this report is computed from.</p><div class="cards">"#);
    let card = |o: &mut String, id: &str, k: &str, v: String, sub: String| {
        let _ = write!(
            o,
            r#"<div class="card" id="{id}"><div class="k">{}</div><div class="v">{}</div><div class="s">{}</div></div>"#,
            esc(k),
            esc(&v),
            sub
        );
    };
    card(
        o,
        "sample-sessions",
        "Sessions",
        thousands(s.sessions as i64),
        "read from transcripts".into(),
    );
    card(
        o,
        "sample-interactive",
        "Interactive",
        thousands(s.interactive_sessions as i64),
        "analysed (at least one prompt)".into(),
    );
    card(
        o,
        "sample-excluded",
        "Excluded",
        thousands(excluded as i64),
        "kept, not analysed".into(),
    );
    card(
        o,
        "sample-people",
        "People",
        thousands(s.people as i64),
        if r.privacy.personal_mode {
            "personal mode".into()
        } else {
            "distinct pseudonymous keys".into()
        },
    );
    card(
        o,
        "sample-suppressed",
        "Suppressed cells",
        thousands(r.privacy.suppressed_cells as i64),
        if r.privacy.personal_mode {
            "threshold off (personal)".into()
        } else {
            let mut few = 0;
            let mut other = 0;
            for t in &r.tables {
                for (w, n) in withheld_counts(t) {
                    if w == Withheld::FewPeople {
                        few += n;
                    } else {
                        other += n;
                    }
                }
            }
            if other == 0 {
                format!("fewer than {} people", r.privacy.min_users)
            } else {
                format!(
                    "{few} with fewer than {} people, {other} protected or dominated",
                    r.privacy.min_users
                )
            }
        },
    );
    o.push_str("</div><dl class=\"facts\">");
    let fact = |o: &mut String, k: &str, v: String| {
        let _ = write!(o, "<dt>{}</dt><dd>{}</dd>", esc(k), v);
    };
    let range = match (&s.first_day, &s.last_day) {
        (Some(a), Some(b)) => format!("{} to {}", esc(a), esc(b)),
        // Outside personal mode the range is withheld unless both end months have k people.
        _ if !r.privacy.personal_mode && r.sample.sessions > 0 => format!(
            "suppressed (first or last month has fewer than {} people)",
            r.privacy.min_users
        ),
        _ => "no timestamps".into(),
    };
    fact(o, "Date range", range);
    fact(
        o,
        "Excluded, by reason",
        if s.excluded.is_empty() {
            "none".into()
        } else {
            map_list(&s.excluded)
        },
    );
    fact(o, "Agents", agents_list(s));
    fact(o, "Model families", map_list(&s.model_families));
    fact(
        o,
        "Classifier (backend / model / prompt version)",
        map_list(&s.classifiers),
    );
    if !s.classifier_notes.is_empty() {
        // One sentence per facet (who labelled it, how far it agrees with careful raters): a
        // list, so each can be read on its own.
        let items: String = s
            .classifier_notes
            .iter()
            .map(|n| format!("<li>{}</li>", esc(n)))
            .collect();
        fact(
            o,
            "How far the labels can be trusted",
            format!(r#"<ul class="trust">{items}</ul>"#),
        );
    }
    fact(
        o,
        "Classification errors",
        format!(
            "{} session{} with at least one label the classifier could not give (left out of that label's analyses)",
            thousands(s.classification_errors as i64),
            if s.classification_errors == 1 { "" } else { "s" }
        ),
    );
    fact(o, "Data not read", not_read(s));
    fact(
        o,
        "Privacy threshold",
        if r.privacy.personal_mode {
            format!(
                "k = {} people per cell — not applied (personal mode)",
                r.privacy.min_users
            )
        } else {
            format!(
                "k = {} people per cell; {} cells suppressed",
                r.privacy.min_users,
                thousands(r.privacy.suppressed_cells as i64)
            )
        },
    );
    if let Some(d) = &r.privacy.dp {
        let entries = d
            .entries
            .iter()
            .map(|(w, e)| format!("{} (ε {e})", esc(w)))
            .collect::<Vec<_>>()
            .join(", ");
        fact(
            o,
            "Differential privacy",
            format!(
                "{}; total ε = {}; at most {} sessions per person; {}",
                esc(&d.mechanism),
                d.total_epsilon,
                d.max_sessions_per_user,
                entries
            ),
        );
    }
    o.push_str("</dl></section>");
}

/// Skipped lines and unreadable files: what the numbers above do not include.
fn not_read(s: &agentstat_stats::results::Sample) -> String {
    match (s.skipped_lines, s.unreadable_sources) {
        (None, None) => "not recorded (report built from facets files)".into(),
        (skipped, unreadable) => {
            let skipped = skipped.unwrap_or(0);
            let unreadable = unreadable.unwrap_or(0);
            let mut v = format!(
                "{} transcript line{} or file{} skipped{}; {} file{} or session{} unreadable",
                thousands(skipped as i64),
                if skipped == 1 { "" } else { "s" },
                if skipped == 1 { "" } else { "s" },
                if s.skipped_by_reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", map_list(&s.skipped_by_reason))
                },
                thousands(unreadable as i64),
                if unreadable == 1 { "" } else { "s" },
                if unreadable == 1 { "" } else { "s" },
            );
            if skipped + unreadable > 0 {
                v.push_str(" — left out of every number on this page; `agentstat report` printed the warnings");
            }
            v
        }
    }
}

/// The personal tables in page order: advice first, then the evidence it rests on.
const PERSONAL_ORDER: &[&str] = &[
    ADVICE_ID,
    SUCCESS_ID,
    TROUBLE_ID,
    STUDY_ID,
    ACTIVITY_ID,
    TREND_ID,
];

fn personal_section(o: &mut String, r: &Results) {
    let mut tabs: Vec<&Table> = r
        .tables
        .iter()
        .filter(|t| t.figure == PERSONAL_FIGURE)
        .collect();
    tabs.sort_by_key(|t| {
        PERSONAL_ORDER
            .iter()
            .position(|id| *id == t.id)
            .unwrap_or(PERSONAL_ORDER.len())
    });
    o.push_str(r#"<section class="part" id="personal"><h2><span class="fig">You</span>Your habits, success and trouble</h2><p class="what">What to try next, and the numbers it rests on: which things you can see in your own sessions go with verified success (Succeeded with hard evidence) and with hitting trouble (failure signal 3 or more), ranked by the difference they make, each with how many of your sessions showed it; then your figures beside the study's published ones, and your months. These are associations in your sessions, not causes: a habit can simply go with a kind of task. Rows marked “by construction” are habits the success or failure measure itself counts as evidence (commits, pull requests, tests, rejections, interrupts), so they cannot tell you anything new.</p>"#);
    if tabs.is_empty() {
        o.push_str(r#"<p class="missing">No classified interactive sessions, so there is nothing to compare yet.</p>"#);
    }
    for t in &tabs {
        table_block(o, t, r.privacy.min_users);
    }
    if !tabs.iter().any(|t| t.id == SUCCESS_ID) && !tabs.is_empty() {
        o.push_str(r#"<p class="missing">No verified-success comparison was possible.</p>"#);
    }
    o.push_str("</section>");
}

/// One table: heading, reading, study reference, chart, numbers, notes.
fn table_block(o: &mut String, t: &Table, k: u32) {
    let id = safe_id(&t.id);
    let _ = write!(
        o,
        r#"<figure class="tbl" id="{id}" data-table="{id}" aria-labelledby="{id}-h"><h3 id="{id}-h">{title}<span class="id">{fig} · {tid}</span></h3>"#,
        title = esc(&t.title),
        fig = esc(&t.figure),
        tid = esc(&t.id)
    );
    if !t.reading.is_empty() {
        let _ = write!(o, r#"<p class="reading">{}</p>"#, esc(&t.reading));
    }
    if let Some(s) = &t.study_reference {
        let _ = write!(
            o,
            r#"<p class="study"><span class="tag">Study</span>{}</p>"#,
            esc(s)
        );
    }
    // How far the labels under this table can be trusted, before its chart: a reader should
    // not take the shares at face value.
    for c in &t.caution {
        let _ = write!(
            o,
            r#"<p class="caution"><span class="tag">Labels</span>{}</p>"#,
            esc(c)
        );
    }
    let cells = t.rows.iter().flat_map(|r| r.cells.iter());
    let all_suppressed = cells.clone().count() > 0 && cells.clone().all(|c| c.suppressed);
    // A chart of nothing but hatching says less than one sentence.
    let chart = if all_suppressed {
        None
    } else {
        svg::chart(t, k)
    };
    let has_chart = chart.is_some() || all_suppressed;
    let why = withheld_counts(t);
    if all_suppressed {
        let text = if why.iter().all(|(w, _)| *w == Withheld::FewPeople) {
            format!(
                "Every cell of this table rests on fewer than {k} people, so none is published."
            )
        } else {
            format!(
                "No cell of this table is published: {}.",
                reasons_text(&why, k)
            )
        };
        let _ = write!(
            o,
            r#"<p class="allsupp"><strong>Suppressed.</strong> {}</p><details class="numbers"><summary>The table ({} rows, all suppressed)</summary>"#,
            esc(&text),
            t.rows.len()
        );
    } else if let Some(c) = chart {
        o.push_str(&c);
        let _ = write!(
            o,
            r#"<details class="numbers"><summary>The numbers ({} rows)</summary>"#,
            t.rows.len()
        );
    }
    numbers(o, t, k);
    if has_chart {
        o.push_str("</details>");
    }
    if !all_suppressed && !why.is_empty() {
        let _ = write!(
            o,
            r#"<p class="withheld">Withheld: {}.</p>"#,
            esc(&reasons_text(&why, k))
        );
    }
    if !t.notes.is_empty() {
        o.push_str(r#"<ul class="notes">"#);
        for n in &t.notes {
            let _ = write!(o, "<li>{}</li>", esc(n));
        }
        o.push_str("</ul>");
    }
    o.push_str("</figure>");
}

/// Suppressed cells of `t` by reason (in the order few people, protection, dominance; a cell
/// with no recorded reason counts as too few people).
fn withheld_counts(t: &Table) -> Vec<(Withheld, usize)> {
    [
        Withheld::FewPeople,
        Withheld::Protection,
        Withheld::Dominance,
    ]
    .into_iter()
    .map(|w| {
        let n = t
            .rows
            .iter()
            .flat_map(|r| &r.cells)
            .filter(|c| c.suppressed && c.withheld.unwrap_or(Withheld::FewPeople) == w)
            .count();
        (w, n)
    })
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// "2 cells with fewer than 3 people; 1 withheld so that a hidden cell cannot be recovered
/// from other tables".
fn reasons_text(why: &[(Withheld, usize)], k: u32) -> String {
    why.iter()
        .map(|(w, n)| {
            let cells = if *n == 1 { "cell" } else { "cells" };
            match w {
                Withheld::FewPeople => format!("{n} {cells} with fewer than {k} people"),
                Withheld::Protection => format!(
                    "{n} {cells} withheld so that a hidden cell cannot be recovered from other tables"
                ),
                Withheld::Dominance => {
                    format!("{n} {cells} withheld: dominated by one or two people")
                }
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The tooltip of a suppressed cell: its reason.
fn reason_title(w: Option<Withheld>, k: u32) -> String {
    match w.unwrap_or(Withheld::FewPeople) {
        Withheld::FewPeople => format!("withheld: fewer than {k} people contributed"),
        w => w.words().to_string(),
    }
}

fn numbers(o: &mut String, t: &Table, k: u32) {
    let _ = write!(
        o,
        r#"<div class="scroll"><table class="num" id="{}-table"><caption>{}: {}. Intervals are 95%; standard errors in parentheses; n = sessions.</caption><thead><tr><th scope="col"></th>"#,
        safe_id(&t.id),
        esc(&t.figure),
        esc(&t.title)
    );
    for c in &t.columns {
        let _ = write!(o, r#"<th scope="col">{}</th>"#, esc(&c.label));
    }
    o.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        let _ = write!(o, r#"<tr><th scope="row">{}</th>"#, esc(&r.label));
        for (j, col) in t.columns.iter().enumerate() {
            let Some(c) = r.cells.get(j) else {
                o.push_str(r#"<td class="na">n/a</td>"#);
                continue;
            };
            if c.suppressed {
                let _ = write!(
                    o,
                    r#"<td class="supp" data-suppressed="true" title="{}">suppressed</td>"#,
                    esc(&reason_title(c.withheld, k))
                );
            } else if col.key == "study" {
                // A published figure, not from these sessions: no counts; none when the rubric
                // quotes none.
                match c.value {
                    Some(v) => {
                        let _ = write!(o, r#"<td class="study">{}</td>"#, esc(&value(v, &col.unit)));
                    }
                    None => o.push_str(r#"<td class="na" title="the rubric quotes no study value">not published</td>"#),
                }
            } else if c.value.is_none() {
                o.push_str(r#"<td class="na" title="not estimable">n/a</td>"#);
            } else {
                let _ = write!(
                    o,
                    r#"<td>{}<span class="n">n={}{}</span></td>"#,
                    esc(&cell_text(c, col)),
                    thousands(c.n_sessions as i64),
                    if c.n_users > 1 {
                        format!(" · {} people", c.n_users)
                    } else {
                        String::new()
                    }
                );
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div>");
}

/// Plain-language definitions (rubric §3–4), so a reading like "verified success" is not jargon.
const GLOSSARY: &str = "<dt>Interactive session</dt><dd>A conversation with at least one prompt the person typed; headless runs are counted but not analysed.</dd>\
<dt>Work mode</dt><dd>The session's dominant activity: Plan, Build, Fix, Understand, Test, Operate, Analyze, Orchestrate or Communicate.</dd>\
<dt>Expertise</dt><dd>1 Novice to 5 Expert: command of the domain worked on, judged from how specific the setup is, how targeted the checks are and who corrects whom.</dd>\
<dt>Judged success</dt><dd>The outcome label is Succeeded. <em>At least partial</em> adds Partially Succeeded. Sessions with no clear goal are left out.</dd>\
<dt>Verified success</dt><dd>Succeeded with hard evidence: a matching commit, a passing test suite, an opened PR, or the person confirming it (success signal 4 or 5).</dd>\
<dt>Hit trouble</dt><dd>A failure signal of 3 or more: a sub-task given up, pushback, failing tests at the end, a complaint.</dd>\
<dt>Abandoned</dt><dd>Failed without a single line of code written.</dd>\
<dt>Task value</dt><dd>A rough price of the session's work as a freelance job; for ranking and bands, not dollars.</dd>\
<dt>Suppressed</dt><dd>The number is withheld: fewer people than the privacy threshold contributed, or publishing it would let a hidden number be recovered from other tables, or one or two people hold most of its total. Each table says which.</dd>";

fn footer(o: &mut String, r: &Results) {
    let _ = write!(
        o,
        r#"<footer><section id="definitions" aria-label="Definitions"><h2>Words used on this page</h2><dl class="facts">{GLOSSARY}</dl></section><p>Definitions follow the measurement rubric of “Agentic coding and persistent returns to expertise” (Anthropic, 2026). Labels come from an automated classifier and carry its errors; small samples give wide intervals. The numbers behind every chart are in <code>results.json</code> and <code>tables/*.csv</code> next to this page.</p><p>{} · results schema {}</p></footer>"#,
        esc(&r.generated_by),
        r.schema_version
    );
}
