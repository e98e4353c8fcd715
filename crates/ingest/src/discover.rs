//! Finding transcripts and grouping them into one unit per session.
//!
//! Layouts handled: `~/.claude/projects/<project>/<session>.jsonl`; legacy flat subagents
//! `agent-*.jsonl` beside the session (joined by `sessionId`); nested
//! `<session>/subagents/agent-*.jsonl` with `agent-*.meta.json` (also deeper, e.g. workflow
//! subagents), compaction sidechains `agent-acompact-*`; resumed sessions whose files share
//! their first record (joined, then deduplicated by `uuid` when read).

use crate::diag::Diagnostics;
use crate::lax::{Lax, LaxOpt};
use crate::reader::{parse_line, Line, LineReader};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What a file is within its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRole {
    Main,
    Subagent {
        agent_id: Option<String>,
        /// `flat` or `nested`.
        layout: String,
        agent_type: Option<String>,
        description: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub role: FileRole,
    pub bytes: u64,
}

/// The files of one session: main transcript(s) first (oldest first), then subagents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSource {
    /// Session id (`sessionId` of the records, else the file stem).
    pub id: String,
    pub files: Vec<SourceFile>,
}

impl SessionSource {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
    /// The main transcript's path (or the first file's).
    pub fn main_path(&self) -> &Path {
        &self.files[0].path
    }
}

/// Default roots: `$CLAUDE_CONFIG_DIR/projects` if set, else `~/.claude/projects`.
pub fn default_roots() -> Vec<PathBuf> {
    if let Some(d) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|v| !v.is_empty()) {
        let mut out = Vec::new();
        // The variable may list several directories (path-separated).
        for p in std::env::split_paths(&d) {
            out.push(p.join("projects"));
        }
        return out;
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    match home {
        Some(h) => vec![PathBuf::from(h).join(".claude").join("projects")],
        None => Vec::new(),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    #[serde(borrow, default)]
    session_id: Option<Lax<'a>>,
    #[serde(borrow, default)]
    uuid: Option<Lax<'a>>,
    #[serde(borrow, default)]
    is_sidechain: Option<Lax<'a>>,
    #[serde(borrow, default)]
    agent_id: Option<Lax<'a>>,
    #[serde(borrow, default)]
    timestamp: Option<Lax<'a>>,
}

#[derive(Default, Debug)]
struct Peek {
    session_id: Option<String>,
    first_uuid: Option<String>,
    sidechain: Option<bool>,
    agent_id: Option<String>,
    first_ts: Option<i64>,
}

/// Read just enough of a file's head to know which session it belongs to.
fn peek(path: &Path) -> std::io::Result<Peek> {
    let f = std::fs::File::open(path)?;
    let mut r = LineReader::with_max_line(f, 8 << 20);
    let mut p = Peek::default();
    let mut scratch = Diagnostics::default();
    let mut n = 0;
    while let Some((no, line)) = r.next_line()? {
        n += 1;
        if let Line::Data(d) = line {
            parse_line(d, "", no, &mut scratch, |b| {
                let h: Head<'_> = serde_json::from_slice(b)?;
                if p.session_id.is_none() {
                    p.session_id = h.session_id.s().map(str::to_string);
                }
                if let Some(u) = h.uuid.s() {
                    if p.first_uuid.is_none() {
                        p.first_uuid = Some(u.to_string());
                        p.sidechain = Some(h.is_sidechain.b());
                        p.agent_id = h.agent_id.s().map(str::to_string);
                    }
                }
                if p.first_ts.is_none() {
                    p.first_ts = h.timestamp.s().and_then(agentstat_session::parse_timestamp);
                }
                Ok(())
            });
        }
        if (p.session_id.is_some() && p.first_uuid.is_some() && p.first_ts.is_some())
            || n >= 200
            || r.bytes_read() > (32 << 20)
        {
            break;
        }
    }
    Ok(p)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    agent_type: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn walk(
    path: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut HashSet<PathBuf>,
    diag: &mut Diagnostics,
    top: bool,
) {
    let name = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            if top {
                diag.skip(&name, None, "unreadable-path", e.to_string());
            } else {
                diag.skip(&name, None, "broken-link", e.to_string());
            }
            return;
        }
    };
    if meta.is_file() {
        if top || path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path.to_path_buf());
        } else if !name.ends_with(".meta.json") {
            // Not a Claude Code transcript (another agent's format, a sidecar, a note): say
            // how many were passed over, by extension, rather than dropping them silently.
            let ext = path
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()))
                .unwrap_or_else(|| "no extension".into());
            *diag
                .ignored
                .entry(format!("file-not-a-transcript:{ext}"))
                .or_default() += 1;
        }
        return;
    }
    if !meta.is_dir() {
        return;
    }
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if !visited.insert(canon) {
        diag.warn(
            &name,
            None,
            "symlink-loop",
            "directory already visited (symlink loop or duplicate); skipped",
        );
        *diag
            .ignored
            .entry("directory-already-visited".into())
            .or_default() += 1;
        return;
    }
    let rd = match std::fs::read_dir(path) {
        Ok(rd) => rd,
        Err(e) => {
            diag.skip(&name, None, "unreadable-directory", e.to_string());
            return;
        }
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for e in entries {
        walk(&e, out, visited, diag, false);
    }
}

struct Dsu(Vec<usize>);
impl Dsu {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[b.max(a)] = a.min(b);
        }
    }
}

/// Find every transcript under `paths` (directories walked recursively, following symlinks
/// with loop detection; files taken as given, with their subagent files) and group them
/// into one source per session, sorted by session id.
pub fn discover(paths: &[PathBuf], diag: &mut Diagnostics) -> Vec<SessionSource> {
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    for p in paths {
        walk(p, &mut files, &mut visited, diag, true);
        // A single session file: bring its subagents along.
        if p.is_file() {
            if let (Some(dir), Some(stem)) = (p.parent(), p.file_stem()) {
                let nested = dir.join(stem);
                if nested.is_dir() {
                    walk(&nested, &mut files, &mut visited, diag, false);
                }
                if let Ok(rd) = std::fs::read_dir(dir) {
                    let mut sib: Vec<PathBuf> = rd
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|q| {
                            q.extension().is_some_and(|e| e == "jsonl")
                                && q.file_name()
                                    .is_some_and(|n| n.to_string_lossy().starts_with("agent-"))
                        })
                        .collect();
                    sib.sort();
                    files.extend(sib);
                }
            }
        }
    }
    let mut seen = HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));

    struct Info {
        path: PathBuf,
        peek: Peek,
        bytes: u64,
        sub: bool,
        nested: bool,
    }
    let mut infos = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let peek = match peek(&path) {
            Ok(p) => p,
            Err(e) => {
                diag.skip(&name, None, "unreadable-file", e.to_string());
                continue;
            }
        };
        let fname = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let nested = path
            .ancestors()
            .skip(1)
            .take(3)
            .any(|a| a.file_name().is_some_and(|n| n == "subagents"));
        let sub = fname.starts_with("agent-") || nested || peek.sidechain == Some(true);
        infos.push(Info {
            path,
            peek,
            bytes,
            sub,
            nested,
        });
    }

    // Union main files that share a session id or a first record (a resume copies history).
    let mut dsu = Dsu((0..infos.len()).collect());
    let mut by_sid: HashMap<String, usize> = HashMap::new();
    let mut by_uuid: HashMap<String, usize> = HashMap::new();
    for (i, inf) in infos.iter().enumerate().filter(|(_, f)| !f.sub) {
        if let Some(s) = &inf.peek.session_id {
            match by_sid.get(s) {
                Some(&j) => dsu.union(i, j),
                None => {
                    by_sid.insert(s.clone(), i);
                }
            }
        }
        if let Some(u) = &inf.peek.first_uuid {
            match by_uuid.get(u) {
                Some(&j) => dsu.union(i, j),
                None => {
                    by_uuid.insert(u.clone(), i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut orphans: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in 0..infos.len() {
        if !infos[i].sub {
            let r = dsu.find(i);
            groups.entry(r).or_default().push(i);
        }
    }
    let mut sub_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, inf) in infos.iter().enumerate().filter(|(_, f)| f.sub) {
        let owner = inf
            .peek
            .session_id
            .as_ref()
            .and_then(|s| by_sid.get(s))
            .copied()
            .or_else(|| {
                // Nested layout without a readable sessionId: the directory names the session.
                let dir = inf
                    .path
                    .ancestors()
                    .find(|a| a.file_name().is_some_and(|n| n == "subagents"))?
                    .parent()?;
                let stem = dir.file_name()?.to_string_lossy().into_owned();
                by_sid.get(&stem).copied()
            });
        match owner {
            Some(o) => sub_of.entry(dsu.find(o)).or_default().push(i),
            None => {
                let key = inf
                    .peek
                    .session_id
                    .clone()
                    .unwrap_or_else(|| inf.path.display().to_string());
                orphans.entry(key).or_default().push(i);
            }
        }
    }

    let role_of = |inf: &Info| -> FileRole {
        if !inf.sub {
            return FileRole::Main;
        }
        let mut meta = Meta::default();
        let mp = inf.path.with_extension("meta.json");
        if let Ok(b) = std::fs::read(&mp) {
            meta = serde_json::from_slice(&b).unwrap_or_default();
        }
        let agent_id = inf.peek.agent_id.clone().or_else(|| {
            inf.path
                .file_stem()
                .map(|s| s.to_string_lossy().trim_start_matches("agent-").to_string())
        });
        FileRole::Subagent {
            agent_id,
            layout: if inf.nested {
                "nested".into()
            } else {
                "flat".into()
            },
            agent_type: meta.agent_type,
            description: meta.description,
        }
    };
    let file_of = |i: usize| SourceFile {
        path: infos[i].path.clone(),
        role: role_of(&infos[i]),
        bytes: infos[i].bytes,
    };

    let mut out = Vec::new();
    for (root, mut members) in groups {
        members.sort_by_key(|&i| {
            (
                infos[i].peek.first_ts.unwrap_or(i64::MAX),
                infos[i].path.clone(),
            )
        });
        let id = infos[members[0]]
            .peek
            .session_id
            .clone()
            .or_else(|| {
                infos[members[0]]
                    .path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        let mut fs: Vec<SourceFile> = members.iter().map(|&i| file_of(i)).collect();
        let mut subs = sub_of.remove(&root).unwrap_or_default();
        subs.sort_by(|&a, &b| infos[a].path.cmp(&infos[b].path));
        fs.extend(subs.into_iter().map(file_of));
        out.push(SessionSource { id, files: fs });
    }
    for (id, mut members) in orphans {
        members.sort_by(|&a, &b| infos[a].path.cmp(&infos[b].path));
        out.push(SessionSource {
            id,
            files: members.into_iter().map(file_of).collect(),
        });
    }
    out.sort_by(|a, b| {
        a.id.cmp(&b.id)
            .then_with(|| a.files[0].path.cmp(&b.files[0].path))
    });
    out
}
