//! Several facets files read as one dataset: the files of a directory, a glob, or a list —
//! the shards of a sharded run as they land, or several people's files (team mode).
//!
//! A session is identified by `session_key`: the first copy met (in file order) is kept and
//! later copies are dropped and counted. The pooled facets come back sorted by session key, the
//! order `extract` writes, so that a pooled set of shards is row for row the unsharded file.
//!
//! Shards of one sharded run (files whose metadata names a shard `K/N`) must agree: the same N,
//! the same salt (else their keys cannot be compared), the same agentstat and schema versions;
//! and every shard must be there, unless the caller accepts a missing one, which is then a
//! warning sized from the session counts each shard recorded.

use crate::parquet::{read_facets_meta, Error, FileMeta};
use crate::Facet;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Per-file counts.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct FileSummary {
    pub file: PathBuf,
    pub sessions: u64,
    /// Sessions kept (not already seen in this or an earlier file).
    pub added: u64,
    /// Copies dropped: identical to the kept copy.
    pub duplicates: u64,
    /// Copies dropped whose content differs from the kept copy.
    pub conflicting_duplicates: u64,
    pub people: u64,
    /// `K/N` when the file is a shard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// The pooled facets and what was done to pool them.
#[derive(Debug, Default)]
pub struct Dataset {
    /// One facet per session key, sorted by session key.
    pub facets: Vec<Facet>,
    pub files: Vec<FileSummary>,
    /// Things the caller should print (a missing shard accepted, …).
    pub warnings: Vec<String>,
}

impl Dataset {
    pub fn duplicates(&self) -> u64 {
        self.files
            .iter()
            .map(|s| s.duplicates + s.conflicting_duplicates)
            .sum()
    }
    pub fn conflicting_duplicates(&self) -> u64 {
        self.files.iter().map(|s| s.conflicting_duplicates).sum()
    }
}

/// How to read a dataset.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadOptions {
    /// Proceed (with a warning) when shards of a sharded run are missing.
    pub allow_missing_shards: bool,
}

/// A dataset could not be read: a file's error, or files that must not be pooled.
#[derive(Debug)]
pub struct DatasetError(pub String);

impl std::fmt::Display for DatasetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for DatasetError {}
impl From<Error> for DatasetError {
    fn from(e: Error) -> Self {
        DatasetError(e.to_string())
    }
}

/// The files named by `paths`: a file as given; a directory's `*.parquet` files (sorted); a
/// path whose last component holds `*` or `?` (a glob quoted so the shell left it alone): the
/// matching files of its directory (sorted). A directory or glob that matches nothing is an
/// error.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DatasetError> {
    let mut out = Vec::new();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            let found = list(p, |n| n.ends_with(".parquet"))?;
            if found.is_empty() {
                return Err(DatasetError(format!(
                    "{}: no .parquet files in this directory",
                    p.display()
                )));
            }
            out.extend(found);
        } else if !p.exists() && (name.contains('*') || name.contains('?')) {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let dir_text = dir.to_string_lossy();
            if dir_text.contains('*') || dir_text.contains('?') {
                return Err(DatasetError(format!(
                    "{}: only the file name may hold * or ? (the directory must be literal)",
                    p.display()
                )));
            }
            let found = list(&dir, |n| glob_match(name.as_bytes(), n.as_bytes()))?;
            if found.is_empty() {
                return Err(DatasetError(format!("{}: no file matches", p.display())));
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn list(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, DatasetError> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DatasetError(format!("{}: cannot list directory: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| {
            f.is_file()
                && f.file_name().is_some_and(|n| {
                    !n.to_string_lossy().starts_with('.') && keep(&n.to_string_lossy())
                })
        })
        .collect();
    found.sort();
    Ok(found)
}

/// `*` (any run) and `?` (one byte) matching of a whole file name.
fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((sp, sn)) = star {
            p = sp + 1;
            n = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Read the files named by `paths` ([`expand`]) as one dataset.
pub fn read_dataset(paths: &[PathBuf], opts: ReadOptions) -> Result<Dataset, DatasetError> {
    let files = expand(paths)?;
    let mut metas = Vec::with_capacity(files.len());
    let mut pooled: Vec<Facet> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut summaries = Vec::new();
    for file in &files {
        let (facets, meta) = read_facets_meta(file)?;
        let mut s = pool(&mut pooled, &mut index, facets, file);
        s.shard = meta.shard.map(|(k, n)| format!("{k}/{n}"));
        summaries.push(s);
        metas.push(meta);
    }
    let warnings = check_shards(&files, &metas, opts)?;
    pooled.sort_by(|a, b| a.session_key.cmp(&b.session_key));
    Ok(Dataset {
        facets: pooled,
        files: summaries,
        warnings,
    })
}

fn pool(
    pooled: &mut Vec<Facet>,
    index: &mut HashMap<String, usize>,
    facets: Vec<Facet>,
    file: &Path,
) -> FileSummary {
    let mut s = FileSummary {
        file: file.to_path_buf(),
        ..Default::default()
    };
    let people: BTreeSet<&str> = facets.iter().map(|f| f.user_key.as_str()).collect();
    s.people = people.len() as u64;
    for f in facets {
        s.sessions += 1;
        match index.get(&f.session_key) {
            Some(&i) if pooled[i] == f => s.duplicates += 1,
            Some(_) => s.conflicting_duplicates += 1,
            None => {
                index.insert(f.session_key.clone(), pooled.len());
                pooled.push(f);
                s.added += 1;
            }
        }
    }
    s
}

/// Shards pooled together must come from one sharded run, and all of it.
fn check_shards(
    files: &[PathBuf],
    metas: &[FileMeta],
    opts: ReadOptions,
) -> Result<Vec<String>, DatasetError> {
    let mut warnings = Vec::new();
    let schemas: BTreeSet<u32> = metas.iter().map(|m| m.schema_version).collect();
    if schemas.len() > 1 {
        return Err(DatasetError(format!(
            "these facets files have different schema versions ({}): re-extract them with one agentstat version rather than mixing layouts",
            join(schemas.iter())
        )));
    }
    let shards: Vec<(&PathBuf, &FileMeta, (u32, u32))> = files
        .iter()
        .zip(metas)
        .filter_map(|(f, m)| m.shard.map(|s| (f, m, s)))
        .collect();
    let Some(&(first_file, first, (_, n))) = shards.first() else {
        return Ok(warnings);
    };
    let name = |f: &PathBuf| f.display().to_string();
    for &(f, m, (_, n2)) in &shards[1..] {
        if n2 != n {
            return Err(DatasetError(format!(
                "{} is a shard of {n2} but {} is a shard of {n}: shards of different partitions cannot be pooled",
                name(f),
                name(first_file)
            )));
        }
        if m.salt_id != first.salt_id {
            return Err(DatasetError(format!(
                "{} and {} were extracted with different salts (their session and person keys do not match): run every shard with the same AGENTSTAT_SALT",
                name(first_file),
                name(f)
            )));
        }
        if m.agentstat_version != first.agentstat_version {
            return Err(DatasetError(format!(
                "{} was written by agentstat {} and {} by agentstat {}: shards from two versions are not mixed; re-run them with one version",
                name(first_file),
                first.agentstat_version.as_deref().unwrap_or("(unknown)"),
                name(f),
                m.agentstat_version.as_deref().unwrap_or("(unknown)")
            )));
        }
    }
    let present: BTreeSet<u32> = shards.iter().map(|&(_, _, (k, _))| k).collect();
    let missing: Vec<u32> = (0..n).filter(|k| !present.contains(k)).collect();
    if missing.is_empty() {
        return Ok(warnings);
    }
    // Every shard recorded the sizes of all N shards (they come from the same discovery).
    let mut sizes: BTreeMap<u32, u64> = BTreeMap::new();
    for &(_, m, _) in &shards {
        if let Some(s) = m.shard_sizes.as_ref().filter(|s| s.len() == n as usize) {
            for &k in &missing {
                sizes.entry(k).or_insert(s[k as usize]);
            }
        }
    }
    let described: Vec<String> = missing
        .iter()
        .map(|k| match sizes.get(k) {
            Some(c) => format!("{k}/{n} ({c} sessions)"),
            None => format!("{k}/{n} (size unknown)"),
        })
        .collect();
    let held: u64 = sizes.values().sum();
    let msg = format!(
        "{} of {n} shards missing: {}; {held} sessions not included",
        missing.len(),
        described.join(", ")
    );
    if opts.allow_missing_shards {
        warnings.push(msg);
        Ok(warnings)
    } else {
        Err(DatasetError(format!(
            "{msg} (pass --allow-missing-shards to proceed without them)"
        )))
    }
}

fn join<T: std::fmt::Display>(it: impl Iterator<Item = T>) -> String {
    it.map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet::{salt_id, write_facets_with};
    use crate::Telemetry;

    fn facet(key: &str, user: &str, turns: u32) -> Facet {
        Facet {
            session_key: key.into(),
            user_key: user.into(),
            agent: "claude-code".into(),
            agent_version: None,
            interactive: turns > 0,
            excluded_reason: None,
            telemetry: Telemetry {
                human_turns: turns,
                ..Default::default()
            },
            habits: None,
            labels: None,
        }
    }

    fn shard_meta(k: u32, n: u32, salt: &[u8], sizes: Vec<u64>) -> FileMeta {
        FileMeta {
            shard: Some((k, n)),
            shard_sizes: Some(sizes),
            ..FileMeta::for_salt(salt)
        }
    }

    #[test]
    fn glob_matches_names() {
        assert!(glob_match(b"shard-*.parquet", b"shard-0.parquet"));
        assert!(glob_match(b"*", b"x"));
        assert!(glob_match(b"s?.p*", b"s1.parquet"));
        assert!(!glob_match(b"shard-*.parquet", b"shard-0.parquet.tmp"));
        assert!(!glob_match(b"a*b", b"acbx"));
    }

    #[test]
    fn directory_glob_and_list_read_as_one_sorted_deduplicated_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_facets_with(
            d.join("b.parquet"),
            &[facet("s3", "u2", 1), facet("s1", "u1", 1)],
            &FileMeta::for_salt(b"x"),
        )
        .unwrap();
        write_facets_with(
            d.join("a.parquet"),
            &[facet("s2", "u1", 2), facet("s1", "u1", 5)],
            &FileMeta::for_salt(b"x"),
        )
        .unwrap();
        std::fs::write(d.join("notes.txt"), "x").unwrap();
        let by_dir = read_dataset(&[d.to_path_buf()], ReadOptions::default()).unwrap();
        let keys: Vec<&str> = by_dir
            .facets
            .iter()
            .map(|f| f.session_key.as_str())
            .collect();
        assert_eq!(keys, ["s1", "s2", "s3"]);
        // a.parquet first (sorted names): its copy of s1 is kept, b's is a conflicting copy.
        assert_eq!(by_dir.facets[0].telemetry.human_turns, 5);
        assert_eq!(
            (by_dir.duplicates(), by_dir.conflicting_duplicates()),
            (1, 1)
        );
        let by_glob = read_dataset(&[d.join("*.parquet")], ReadOptions::default()).unwrap();
        assert_eq!(by_glob.facets, by_dir.facets);
        assert!(
            read_dataset(&[d.join("z*.parquet")], ReadOptions::default())
                .unwrap_err()
                .0
                .contains("no file matches")
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(
            read_dataset(&[empty.path().to_path_buf()], ReadOptions::default())
                .unwrap_err()
                .0
                .contains("no .parquet files")
        );
    }

    #[test]
    fn shards_must_agree_and_be_complete() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let p = |n: &str| d.join(n);
        write_facets_with(
            p("0.parquet"),
            &[facet("a", "u", 1)],
            &shard_meta(0, 3, b"salt", vec![1, 2, 4]),
        )
        .unwrap();
        write_facets_with(
            p("1.parquet"),
            &[facet("b", "u", 1), facet("c", "u", 1)],
            &shard_meta(1, 3, b"salt", vec![1, 2, 4]),
        )
        .unwrap();
        // Missing shard 2: refused, then accepted with a sized warning.
        let e =
            read_dataset(&[p("0.parquet"), p("1.parquet")], ReadOptions::default()).unwrap_err();
        assert!(
            e.0.contains("2/3 (4 sessions)") && e.0.contains("--allow-missing-shards"),
            "{e}"
        );
        let ok = read_dataset(
            &[p("0.parquet"), p("1.parquet")],
            ReadOptions {
                allow_missing_shards: true,
            },
        )
        .unwrap();
        assert_eq!(ok.facets.len(), 3);
        assert_eq!(ok.warnings.len(), 1);
        assert!(ok.warnings[0].contains("4 sessions not included"));
        // Another salt.
        write_facets_with(
            p("2.parquet"),
            &[facet("d", "u", 1)],
            &shard_meta(2, 3, b"other", vec![1, 2, 4]),
        )
        .unwrap();
        let e = read_dataset(&[d.to_path_buf()], ReadOptions::default()).unwrap_err();
        assert!(e.0.contains("different salts"), "{e}");
        // Another agentstat version.
        let mut m = shard_meta(2, 3, b"salt", vec![1, 2, 4]);
        m.agentstat_version = Some("0.0.1".into());
        write_facets_with(p("2.parquet"), &[facet("d", "u", 1)], &m).unwrap();
        let e = read_dataset(&[d.to_path_buf()], ReadOptions::default()).unwrap_err();
        assert!(e.0.contains("two versions") && e.0.contains("0.0.1"), "{e}");
        // Another partition.
        write_facets_with(
            p("2.parquet"),
            &[facet("d", "u", 1)],
            &shard_meta(2, 4, b"salt", vec![1, 2, 4, 0]),
        )
        .unwrap();
        let e = read_dataset(&[d.to_path_buf()], ReadOptions::default()).unwrap_err();
        assert!(e.0.contains("shard of 4"), "{e}");
        // Complete and consistent.
        write_facets_with(
            p("2.parquet"),
            &[facet("d", "u", 1)],
            &shard_meta(2, 3, b"salt", vec![1, 2, 4]),
        )
        .unwrap();
        let all = read_dataset(&[d.to_path_buf()], ReadOptions::default()).unwrap();
        assert_eq!(all.facets.len(), 4);
        assert!(all.warnings.is_empty());
        assert_eq!(salt_id(b"salt").len(), 16);
        assert_ne!(salt_id(b"salt"), salt_id(b"other"));
    }
}
