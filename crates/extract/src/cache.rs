//! The facet cache: one JSON facet per session, keyed by what made it.
//!
//! A session's entry is keyed by the fingerprint of its source files (canonical path, size,
//! mtime and a blake3 of the first and last 64 KB; for a session that is a byte range of a
//! file, an Aider history's, that range and its bytes), the classifier backend, model and
//! prompt/rule version, the telemetry version and the pseudonymisation inputs (salt, `--user`). A second run over
//! unchanged sessions therefore reads no transcript and makes no LLM call. Entries are plain
//! JSON facets (no transcript text) under `$AGENTSTAT_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/agentstat`, else `~/.cache/agentstat` (in `facets/`).
//!
//! Bounded: a hit marks its entry as used, and at most once a day a run evicts entries unused
//! for 90 days and then the least recently used beyond 256 MiB (`agentstat_classify::cache`'s
//! eviction, `Policy::facet_default`; docs/CACHE.md; `agentstat cache`).

use crate::run::ExtractOptions;
use agentstat_facets::Facet;
use agentstat_ingest::SessionSource;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bump when the cache entry format or the facet construction changes. 4: session ids no
/// longer depend on the path as typed (crates/ingest/src/ident.rs), so a facet of version 3
/// may carry a session key the same session no longer has; such entries are never hit again
/// and age out (docs/CACHE.md).
const CACHE_FORMAT: &str = "facet-cache-4";
/// Bytes hashed at each end of a source file.
const EDGE: u64 = 64 * 1024;

/// The default cache directory (see module docs); `None` when no home is known.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("AGENTSTAT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("agentstat"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("agentstat"))
}

pub(crate) fn cache_key(
    src: &SessionSource,
    options: &ExtractOptions,
    salt_digest: &[u8],
) -> Option<String> {
    let mut h = blake3::Hasher::new();
    h.update(CACHE_FORMAT.as_bytes());
    h.update(agentstat_telemetry::TELEMETRY_VERSION.as_bytes());
    // Habits are measured on the transcript side too: a new definition rebuilds the facet.
    h.update(agentstat_classify::heuristic::features::HABITS_VERSION.as_bytes());
    h.update(salt_digest);
    h.update(
        options
            .ingest
            .user_label
            .as_deref()
            .unwrap_or("\0none")
            .as_bytes(),
    );
    match &options.backend {
        Some((_, id)) => {
            for part in [&id.name, &id.model, &id.prompt_version] {
                h.update(part.as_bytes());
                h.update(b"\0");
            }
        }
        None => {
            h.update(b"telemetry-only\0");
        }
    }
    let mut files: Vec<(PathBuf, Option<(u64, u64)>)> =
        src.files.iter().map(|f| (f.path.clone(), f.span)).collect();
    files.sort();
    for (f, span) in &files {
        match span {
            None => fingerprint(f, &mut h)?,
            // A file holding several sessions (an Aider history): the session's own bytes and
            // where they are, so a session appended to the file leaves the others' entries.
            Some((a, b)) => span_fingerprint(f, *a, *b, &mut h)?,
        }
    }
    // A database holding many sessions (OpenCode's `opencode.db`): the session's id too.
    if src.main_path().extension().is_some_and(|e| e == "db") {
        h.update(b"session\0");
        h.update(src.id.as_bytes());
    }
    Some(h.finalize().to_hex().to_string())
}

/// The file's canonical path, the byte range and every byte in it; `None` if it cannot be read.
fn span_fingerprint(path: &Path, a: u64, b: u64, h: &mut blake3::Hasher) -> Option<()> {
    let canon = std::fs::canonicalize(path).ok()?;
    let mut f = std::fs::File::open(&canon).ok()?;
    if a > b || f.metadata().ok()?.len() < b {
        return None;
    }
    h.update(b"span\0");
    h.update(canon.to_string_lossy().as_bytes());
    h.update(&a.to_le_bytes());
    h.update(&b.to_le_bytes());
    f.seek(SeekFrom::Start(a)).ok()?;
    let mut buf = Vec::with_capacity((b - a) as usize);
    f.take(b - a).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 == b - a).then(|| {
        h.update(&buf);
    })
}

/// Path, size, mtime and the first and last 64 KB of a file; `None` if it cannot be read
/// (then the session is simply not cached).
fn fingerprint(path: &Path, h: &mut blake3::Hasher) -> Option<()> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // The file itself, however its path was typed (relative, absolute, through a symlink):
    // the facet no longer depends on the path, so neither does its entry.
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    h.update(canon.to_string_lossy().as_bytes());
    h.update(&meta.len().to_le_bytes());
    h.update(&mtime.to_le_bytes());
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = Vec::with_capacity(EDGE as usize);
    (&mut f).take(EDGE).read_to_end(&mut buf).ok()?;
    h.update(&buf);
    if meta.len() > EDGE {
        buf.clear();
        f.seek(SeekFrom::Start(meta.len().saturating_sub(EDGE).max(EDGE)))
            .ok()?;
        f.take(EDGE).read_to_end(&mut buf).ok()?;
        h.update(&buf);
    }
    Some(())
}

/// Where the entries live under the cache directory `dir`.
pub fn store_dir(dir: &Path) -> PathBuf {
    dir.join("facets")
}

fn entry_path(dir: &Path, key: &str) -> PathBuf {
    store_dir(dir).join(&key[..2]).join(format!("{key}.json"))
}

pub(crate) fn load(dir: &Path, key: &str) -> Option<Facet> {
    let path = entry_path(dir, key);
    let bytes = std::fs::read(&path).ok()?;
    // A corrupt entry is a miss: it will be recomputed and overwritten.
    let facet = serde_json::from_slice(&bytes).ok()?;
    agentstat_classify::cache::mark_used(&path, std::time::SystemTime::now());
    Some(facet)
}

pub(crate) fn store(dir: &Path, key: &str, facet: &Facet) {
    let path = entry_path(dir, key);
    let Some(parent) = path.parent() else { return };
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(parent)?;
        // Unique per write, so concurrent stores of one key never share a temporary file.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = parent.join(format!(".{key}.{}-{n}.tmp", std::process::id()));
        std::fs::write(
            &tmp,
            serde_json::to_vec(facet).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, &path)
    };
    if let Err(e) = write() {
        // The cache is an optimisation: warn once per failure and carry on.
        eprintln!(
            "agentstat: warning: cannot write facet cache {}: {e}",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_changes_with_content_at_either_end() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let mut body = vec![b'x'; 200_000];
        std::fs::write(&p, &body).unwrap();
        let fp = |p: &Path| {
            let mut h = blake3::Hasher::new();
            fingerprint(p, &mut h).unwrap();
            h.finalize()
        };
        let a = fp(&p);
        assert_eq!(a, fp(&p));
        let n = body.len();
        body[n - 1] = b'y';
        std::fs::write(&p, &body).unwrap();
        assert_ne!(a, fp(&p));
        assert!(fingerprint(&dir.path().join("missing"), &mut blake3::Hasher::new()).is_none());
    }

    #[test]
    fn entries_round_trip_and_corrupt_entries_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let facet = Facet {
            session_key: "k".into(),
            user_key: "u".into(),
            agent: "claude-code".into(),
            agent_version: None,
            interactive: true,
            excluded_reason: None,
            telemetry: Default::default(),
            habits: None,
            labels: None,
        };
        let key = "ab".repeat(32);
        assert!(load(dir.path(), &key).is_none());
        store(dir.path(), &key, &facet);
        assert_eq!(load(dir.path(), &key), Some(facet));
        std::fs::write(entry_path(dir.path(), &key), b"{not json").unwrap();
        assert!(load(dir.path(), &key).is_none());
    }

    #[test]
    fn entries_store_every_float_exactly() {
        // Values whose shortest decimal form needs all 17 digits, subnormals and extremes:
        // a cache that rounds them makes a warm run differ from a cold one.
        let dir = tempfile::tempdir().unwrap();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut awkward = vec![
            0.1 + 0.2,
            1.0 / 3.0,
            2.0f64.sqrt(),
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            -0.0,
            123_456.789_012_345_67,
        ];
        for _ in 0..2000 {
            // xorshift: a spread of bit patterns, finite ones only.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_finite() {
                awkward.push(f);
            }
            awkward.push((x % 1_000_000) as f64 / 7.0);
        }
        for (i, v) in awkward.iter().enumerate() {
            let mut facet = Facet {
                session_key: format!("k{i}"),
                user_key: "u".into(),
                agent: "claude-code".into(),
                agent_version: None,
                interactive: true,
                excluded_reason: None,
                telemetry: Default::default(),
                habits: None,
                labels: None,
            };
            facet.telemetry.words_per_prompt = *v;
            facet.telemetry.turn_seconds_median = Some(*v);
            let key = format!("{i:064x}");
            store(dir.path(), &key, &facet);
            let back = load(dir.path(), &key).expect("stored entry");
            assert_eq!(
                back.telemetry.words_per_prompt.to_bits(),
                v.to_bits(),
                "{v:e} changed in the cache"
            );
            assert_eq!(
                back.telemetry.turn_seconds_median.map(f64::to_bits),
                Some(v.to_bits())
            );
        }
    }
}
