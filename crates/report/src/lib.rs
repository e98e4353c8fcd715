//! agentstat-report: the study's figures and tables as one self-contained HTML page, plus
//! `results.json` and one CSV per table.
//!
//! Input is a [`Results`] document (from `agentstat-stats`) and, for the personal section,
//! facets; never a transcript. Output works offline: inline CSS and SVG, no script, no fetch.
//! Suppressed cells are written as "suppressed" everywhere and carry no number, whatever the
//! producer left in them ([`sanitize`]).

pub mod fmt;
pub mod html;
pub mod svg;

/// The personal section's tables: computed in `agentstat-stats` ([`agentstat_stats::personal`]),
/// re-exported here under the name callers already use; this crate only renders them.
pub use agentstat_stats::personal::personal_tables as personal_habits;

use agentstat_stats::results::{Results, Table};
use std::path::{Path, PathBuf};

/// Blank every number of a suppressed cell (value, interval, counts): defence in depth, so a
/// producer that marks a cell suppressed but leaves numbers in it cannot leak them.
pub fn sanitize(r: &mut Results) {
    for t in &mut r.tables {
        for row in &mut t.rows {
            for c in &mut row.cells {
                if c.suppressed {
                    c.value = None;
                    c.se = None;
                    c.ci_low = None;
                    c.ci_high = None;
                    c.p_value = None;
                    c.n_sessions = 0;
                    c.n_users = 0;
                }
            }
        }
    }
}

/// The report page (with [`add_caveats`] applied).
pub fn render_html(r: &Results) -> String {
    let mut r = r.clone();
    add_caveats(&mut r);
    html::page(&r)
}

/// Id of the classifier-vs-telemetry table (from `agentstat-stats`).
pub const VALIDATION_WRITES_CODE: &str = "validation_writes_code";
/// Marks a reading that already carries the caveat, so applying it twice changes nothing.
const BY_CONSTRUCTION: &str = "true by construction";

/// Readings that need the report's own context: the classifier-vs-telemetry agreement is
/// true by construction for the heuristic backend, which labels a session Modify or Create
/// only when it saw the session edit files (docs/VALIDATION.md). Idempotent.
pub fn add_caveats(r: &mut Results) {
    let keys: Vec<&String> = r.sample.classifiers.keys().collect();
    let heuristic = keys.iter().filter(|k| k.starts_with("heuristic")).count();
    // Another backend's provenance, or counts folded away below the threshold.
    let other = keys.len() - heuristic;
    let caveat = if heuristic > 0 && other == 0 {
        "For the heuristic classifier used here this agreement is true by construction: it labels a session as modifying or creating code only when it saw the session edit files, so the check validates nothing; an LLM classifier is the real test."
    } else if heuristic > 0 {
        "Sessions labelled by the heuristic classifier agree by construction (it labels a session as modifying or creating code only when it saw edits), so this check is true by construction for them; only the other classifiers' sessions test anything."
    } else if other > 0 && !keys.iter().any(|k| k.contains('/')) {
        // Provenance not visible (suppressed or folded): say what holds if it was the heuristic.
        "If these labels came from the heuristic classifier the agreement is true by construction (it labels a session as modifying or creating code only when it saw edits)."
    } else {
        return;
    };
    for t in r
        .tables
        .iter_mut()
        .filter(|t| t.id == VALIDATION_WRITES_CODE)
    {
        if t.reading.contains(BY_CONSTRUCTION)
            || t.notes.iter().any(|n| n.contains(BY_CONSTRUCTION))
        {
            continue;
        }
        if t.reading.is_empty() {
            t.reading = caveat.to_string();
        } else {
            t.reading = format!("{} {caveat}", t.reading.trim_end());
        }
    }
}

/// One table as tidy CSV: one line per (row, column) cell.
///
/// Long format so every cell keeps its interval, counts and suppression flag; a suppressed cell
/// has empty numbers, `suppressed=true` and why in `withheld` (`few_people`, `protection`,
/// `dominance`; empty when published or when the document does not say); `class` is the cell's
/// output class (`count`, `share`, `mean`, `quantile`, `index`, `coef`).
pub fn table_csv(t: &Table) -> String {
    let mut o = String::from(
        "row,column,column_label,unit,value,se,ci_low,ci_high,p_value,n_sessions,n_users,suppressed,withheld,class\n",
    );
    let num = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map(|x| format!("{x}"))
            .unwrap_or_default()
    };
    for r in &t.rows {
        for (j, col) in t.columns.iter().enumerate() {
            let c = r.cells.get(j).copied().unwrap_or_default();
            let (ns, nu) = if c.suppressed {
                (String::new(), String::new())
            } else {
                (c.n_sessions.to_string(), c.n_users.to_string())
            };
            let line = [
                csv_field(&r.label),
                csv_field(&col.key),
                csv_field(&col.label),
                csv_field(&col.unit),
                if c.suppressed {
                    String::new()
                } else {
                    num(c.value)
                },
                if c.suppressed {
                    String::new()
                } else {
                    num(c.se)
                },
                if c.suppressed {
                    String::new()
                } else {
                    num(c.ci_low)
                },
                if c.suppressed {
                    String::new()
                } else {
                    num(c.ci_high)
                },
                if c.suppressed {
                    String::new()
                } else {
                    num(c.p_value)
                },
                ns,
                nu,
                c.suppressed.to_string(),
                c.withheld
                    .filter(|_| c.suppressed)
                    .map_or("", |w| w.key())
                    .to_string(),
                c.class.key().to_string(),
            ]
            .join(",");
            o.push_str(&line);
            o.push('\n');
        }
    }
    o
}

fn csv_field(s: &str) -> String {
    // Leading = + - @ would be read as formulas by spreadsheets: quote and prefix them.
    let risky = s.starts_with(['=', '+', '-', '@']);
    if risky || s.contains([',', '"', '\n', '\r']) {
        let inner = s.replace('"', "\"\"");
        if risky {
            format!("\"'{inner}\"")
        } else {
            format!("\"{inner}\"")
        }
    } else {
        s.to_string()
    }
}

/// Where [`write_report`] put things.
#[derive(Debug, Clone)]
pub struct Written {
    pub dir: PathBuf,
    pub index_html: PathBuf,
    pub results_json: PathBuf,
    pub tables: Vec<PathBuf>,
    /// Size of `index.html` in bytes.
    pub html_bytes: u64,
}

/// A write failure, naming the file.
#[derive(Debug)]
pub struct ReportError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.source)
    }
}
impl std::error::Error for ReportError {}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|source| ReportError {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `index.html`, `results.json` and `tables/<id>.csv` into `dir` (created if needed).
/// The results are sanitized first, so the three views always agree.
pub fn write_report(dir: &Path, results: &Results) -> Result<Written, ReportError> {
    let mut r = results.clone();
    sanitize(&mut r);
    add_caveats(&mut r);
    let tables_dir = dir.join("tables");
    std::fs::create_dir_all(&tables_dir).map_err(|source| ReportError {
        path: tables_dir.clone(),
        source,
    })?;
    let index_html = dir.join("index.html");
    let page = render_html(&r);
    write(&index_html, page.as_bytes())?;
    let results_json = dir.join("results.json");
    let json = serde_json::to_vec_pretty(&r).map_err(|e| ReportError {
        path: results_json.clone(),
        source: std::io::Error::other(e),
    })?;
    write(&results_json, &json)?;
    // Stale CSVs from an earlier run would contradict this one.
    if let Ok(rd) = std::fs::read_dir(&tables_dir) {
        for e in rd.flatten() {
            if e.path().extension().is_some_and(|x| x == "csv") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let mut tables = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for t in &r.tables {
        let mut name = fmt::safe_id(&t.id);
        let mut i = 2;
        while !seen.insert(name.clone()) {
            name = format!("{}_{i}", fmt::safe_id(&t.id));
            i += 1;
        }
        let p = tables_dir.join(format!("{name}.csv"));
        write(&p, table_csv(t).as_bytes())?;
        tables.push(p);
    }
    Ok(Written {
        dir: dir.to_path_buf(),
        index_html,
        results_json,
        tables,
        html_bytes: page.len() as u64,
    })
}
