//! Label files for training and validation.
//!
//! Two inputs are read:
//! - **JSON lines** (`data/labels/reference.jsonl`, a person's own labels, a rater's file): one
//!   object per rated session with `session` (the session key printed by `agentstat scan
//!   --json`), optionally `user` (person key), `agent`, `file` (transcript path relative to
//!   the corpus root given to `train`), `rater`, and any of the facet fields `work_mode`,
//!   `codebase_relation`, `expertise`, `user_profile`, `work_performed`, `outcome`,
//!   `success_signal`, `failure_signal`, `value_band` in the rubric's spelling (the scales
//!   also as integers). Other known fields (`planning_user`, …, `value_usd`, `automated`,
//!   `evidence`, `notes`, `session_id`, `primary`) are accepted and not learned from.
//! - **facets Parquet** written by `agentstat extract` (any classifier, e.g. an LLM's labels
//!   for distillation): every classified session, rater `facets:<file name>`.
//!
//! Errors name the file and line: unreadable JSON, a missing `session`, an unknown field or
//! label value, the same session rated twice by the same rater. A final line without its
//! newline is an error too (a file still being written).

use crate::facet::LearnedFacet;
use std::collections::HashMap;
use std::path::Path;

/// One rater's labels for one session.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub session: String,
    pub user: Option<String>,
    pub agent: Option<String>,
    /// Transcript path relative to the corpus root.
    pub file: Option<String>,
    pub rater: String,
    /// Class index per [`LearnedFacet`] (`None`: not labelled).
    pub values: [Option<usize>; 9],
    /// `file:line` the rating came from (for error messages).
    pub source: String,
}

const OTHER_FIELDS: &[&str] = &[
    "session",
    "user",
    "agent",
    "file",
    "rater",
    "planning_user",
    "planning_agent",
    "execution_user",
    "execution_agent",
    "value_usd",
    "automated",
    "evidence",
    "notes",
    "session_id",
    "interactive",
    "primary",
];

/// Read label files (JSON lines or facets Parquet); checks duplicates across all files.
pub fn load(paths: &[impl AsRef<Path>]) -> Result<Vec<Rating>, String> {
    let mut out = Vec::new();
    for p in paths {
        let p = p.as_ref();
        let bytes =
            std::fs::read(p).map_err(|e| format!("{}: cannot read labels: {e}", p.display()))?;
        if bytes.starts_with(b"PAR1") {
            out.extend(from_parquet(p)?);
        } else {
            out.extend(from_jsonl(&bytes, &p.display().to_string())?);
        }
    }
    let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
    for r in &out {
        if let Some(first) = seen.insert((&r.session, &r.rater), &r.source) {
            return Err(format!(
                "{}: duplicate label: session {} by rater {:?} is already labelled at {first}",
                r.source, r.session, r.rater
            ));
        }
    }
    Ok(out)
}

/// Parse JSON lines; `name` is the file name used in errors.
pub fn from_jsonl(bytes: &[u8], name: &str) -> Result<Vec<Rating>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{name}: not UTF-8: {e}"))?;
    let mut out = Vec::new();
    let n_lines = text.split_inclusive('\n').count();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let at = format!("{name}:{}", i + 1);
        if !line.ends_with('\n') && i + 1 == n_lines && !line.trim().is_empty() {
            return Err(format!(
                "{at}: incomplete last line (no newline): is the file still being written?"
            ));
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{at}: not a JSON object: {e}"))?;
        let obj = v
            .as_object()
            .ok_or_else(|| format!("{at}: not a JSON object"))?;
        let s = |k: &str| -> Result<Option<String>, String> {
            match obj.get(k) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                Some(other) => Err(format!(
                    "{at}: `{k}` must be a non-empty string, not {other}"
                )),
            }
        };
        let session = s("session")?.ok_or_else(|| format!("{at}: no `session` key"))?;
        let mut values = [None; 9];
        for (k, v) in obj {
            if let Some(f) = LearnedFacet::by_name(k) {
                if v.is_null() {
                    continue;
                }
                values[f.index()] = Some(f.parse(v).ok_or_else(|| {
                    format!(
                        "{at}: unknown {k} label {v} (expected one of: {})",
                        f.classes().join(", ")
                    )
                })?);
            } else if !OTHER_FIELDS.contains(&k.as_str()) {
                return Err(format!("{at}: unknown field `{k}`"));
            }
        }
        out.push(Rating {
            session,
            user: s("user")?,
            agent: s("agent")?,
            file: s("file")?,
            rater: s("rater")?.unwrap_or_else(|| name.to_string()),
            values,
            source: at,
        });
    }
    Ok(out)
}

fn from_parquet(p: &Path) -> Result<Vec<Rating>, String> {
    let facets = agentstat_facets::parquet::read_facets(p).map_err(|e| e.to_string())?;
    let file_name = p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(facets
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let l = f.labels.as_ref()?;
            let mut values = [None; 9];
            for facet in LearnedFacet::ALL {
                values[facet.index()] = facet.of_labels(l);
            }
            values.iter().any(Option::is_some).then(|| Rating {
                session: f.session_key.clone(),
                user: Some(f.user_key.clone()),
                agent: Some(f.agent.clone()),
                file: None,
                rater: format!("facets:{file_name}"),
                values,
                source: format!("{}: row {}", p.display(), i + 1),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(extra: &str) -> String {
        format!("{{\"session\":\"s1\",\"rater\":\"r1\",\"work_mode\":\"Build\",\"expertise\":\"Unclear\",\"success_signal\":4{extra}}}\n")
    }

    #[test]
    fn reads_labels_and_names_errors_by_line() {
        let ok = from_jsonl(line("").as_bytes(), "l.jsonl").unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].values[LearnedFacet::WorkMode.index()], Some(1));
        assert_eq!(ok[0].values[LearnedFacet::Expertise.index()], Some(5));
        assert_eq!(ok[0].values[LearnedFacet::SuccessSignal.index()], Some(4));
        assert_eq!(ok[0].values[LearnedFacet::Outcome.index()], None);

        let bad = format!("\n{}", line(",\"outcome\":\"Great\""));
        let e = from_jsonl(bad.as_bytes(), "l.jsonl").unwrap_err();
        assert!(e.starts_with("l.jsonl:2: unknown outcome label"), "{e}");
        let e = from_jsonl(line(",\"work-mode\":1").as_bytes(), "l.jsonl").unwrap_err();
        assert!(e.contains("unknown field `work-mode`"), "{e}");
        let e = from_jsonl(b"{\"rater\":\"x\"}\n", "l.jsonl").unwrap_err();
        assert!(e.contains("l.jsonl:1: no `session`"), "{e}");
        let e = from_jsonl(line("").trim_end().as_bytes(), "l.jsonl").unwrap_err();
        assert!(e.contains("incomplete last line"), "{e}");
        let e = from_jsonl(b"[1]\n", "l.jsonl").unwrap_err();
        assert!(e.contains("not a JSON object"), "{e}");
    }

    #[test]
    fn duplicate_ratings_are_refused_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jsonl");
        let b = dir.path().join("b.jsonl");
        std::fs::write(&a, line("")).unwrap();
        std::fs::write(&b, line("")).unwrap();
        let e = load(&[&a, &b]).unwrap_err();
        assert!(
            e.contains("duplicate label") && e.contains("b.jsonl:1") && e.contains("a.jsonl:1"),
            "{e}"
        );
        // Another rater of the same session is a second rating, not a duplicate.
        std::fs::write(&b, line("").replace("\"r1\"", "\"r2\"")).unwrap();
        assert_eq!(load(&[&a, &b]).unwrap().len(), 2);
    }
}
