//! Persistent classification cache: one small JSON file per answer, keyed by a blake3 hash of
//! the exact request input, the classifier, its prompt version and the model. A re-run, or a
//! run resumed after a crash, finds every answer already paid for and makes no call.
//!
//! Files are written to a temporary name and renamed, so a crash never leaves a half-written
//! entry; an unreadable entry is treated as a miss and overwritten. Entries hold only validated
//! answers (labels, counts, a price, or the job posting used to price a session), never the
//! model's free-text reasoning.
//!
//! Eviction (docs/CACHE.md): a hit refreshes the entry's modification time (at most once a
//! day), so the modification time is the last use; [`prune`] removes entries unused for longer
//! than a maximum age, then the least recently used ones until the cache fits its size cap.
//! The same functions serve the facet cache (`agentstat` CLI), which has the same layout: a
//! directory of two-hex-digit shard directories holding `<key>.json` files.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The cache key for one call.
pub fn key(input: &str, classifier: &str, prompt_version: &str, model: &str) -> String {
    let mut h = blake3::Hasher::new();
    for part in [input, classifier, prompt_version, model] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// A directory of cached answers.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// Open (creating if needed) a cache under `dir`. At most once a day this also evicts
    /// entries by [`Policy::llm_default`] ([`auto_prune`]).
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<Cache> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let cache = Cache { dir };
        cache.auto_prune();
        Ok(cache)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        let shard = key.get(..2).unwrap_or("xx");
        self.dir.join(shard).join(format!("{key}.json"))
    }

    /// The cached value for `key`, if present and readable. A hit marks the entry as used.
    pub fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        let path = self.path(key);
        let bytes = std::fs::read(&path).ok()?;
        let value = serde_json::from_slice(&bytes).ok()?;
        mark_used(&path, SystemTime::now());
        Some(value)
    }

    /// Store `value` under `key` (atomically).
    pub fn put<T: serde::Serialize>(&self, key: &str, value: &T) -> std::io::Result<()> {
        let path = self.path(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Unique per process *and* per write: two threads storing the same key at once must
        // not share a temporary file (one rename would steal the other's file).
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
        let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }

    /// Number of entries (for reports and tests).
    pub fn len(&self) -> usize {
        usage(&self.dir).entries as usize
    }

    /// Applies [`Policy::llm_default`] (with the environment's overrides) at most once a
    /// day; see [`auto_prune`].
    pub fn auto_prune(&self) -> Option<Pruned> {
        auto_prune(&self.dir, &Policy::llm_default())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// ---- eviction ------------------------------------------------------------------------------

/// Entries unused for longer than this many days are evicted by default. Claude Code itself
/// deletes transcripts after 30 days unless told otherwise, so an answer nobody asked for in 90
/// days almost always belongs to a transcript that is gone.
pub const DEFAULT_MAX_AGE_DAYS: u64 = 90;
/// Default size cap of the LLM answer cache: 1 GiB. An answer is ~0.2–1 KB and a session needs
/// 11, so this holds the answers for roughly 200,000 sessions; each evicted answer costs a paid
/// API call to get back, so the cap is generous.
pub const DEFAULT_LLM_MAX_BYTES: u64 = 1 << 30;
/// Default size cap of the facet cache: 256 MiB. A facet entry is ~2.5 KB, so this is
/// ~100,000 sessions, far beyond one person's history; an evicted facet costs seconds of
/// local CPU to rebuild (the heuristic), or LLM calls that the LLM cache usually still answers.
pub const DEFAULT_FACET_MAX_BYTES: u64 = 256 << 20;

/// Environment variable overriding the maximum age (days) of both caches.
pub const ENV_MAX_AGE_DAYS: &str = "AGENTSTAT_CACHE_MAX_AGE_DAYS";
/// Environment variable overriding the LLM cache's size cap (bytes, or with K/M/G suffix).
pub const ENV_LLM_MAX_BYTES: &str = "AGENTSTAT_LLM_CACHE_MAX_BYTES";
/// Environment variable overriding the facet cache's size cap.
pub const ENV_FACET_MAX_BYTES: &str = "AGENTSTAT_FACET_CACHE_MAX_BYTES";

/// A hit refreshes an entry's time only if it is older than this (one write a day at most).
const TOUCH_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Temporary files older than this are crash leftovers (a write takes milliseconds).
const STALE_TEMP: Duration = Duration::from_secs(3600);
/// Marker file whose modification time records the last automatic prune.
const PRUNE_MARKER: &str = ".last-prune";

/// What to evict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Entries unused for longer than this are removed (`None`: no age limit).
    pub max_age: Option<Duration>,
    /// After that, least recently used entries are removed until the cache holds at most this
    /// many bytes (`None`: no cap).
    pub max_bytes: Option<u64>,
}

impl Policy {
    /// Days → a duration.
    pub fn days(d: u64) -> Duration {
        Duration::from_secs(d.saturating_mul(24 * 3600))
    }

    fn with_env(max_bytes: u64, bytes_var: &str) -> Policy {
        let age = env_number(ENV_MAX_AGE_DAYS, parse_days).unwrap_or(DEFAULT_MAX_AGE_DAYS);
        let cap = env_number(bytes_var, parse_bytes).unwrap_or(max_bytes);
        Policy {
            max_age: Some(Policy::days(age)),
            max_bytes: Some(cap),
        }
    }

    /// The LLM cache's defaults, with `AGENTSTAT_CACHE_MAX_AGE_DAYS` and
    /// `AGENTSTAT_LLM_CACHE_MAX_BYTES` applied.
    pub fn llm_default() -> Policy {
        Policy::with_env(DEFAULT_LLM_MAX_BYTES, ENV_LLM_MAX_BYTES)
    }

    /// The facet cache's defaults, with `AGENTSTAT_CACHE_MAX_AGE_DAYS` and
    /// `AGENTSTAT_FACET_CACHE_MAX_BYTES` applied.
    pub fn facet_default() -> Policy {
        Policy::with_env(DEFAULT_FACET_MAX_BYTES, ENV_FACET_MAX_BYTES)
    }
}

/// Reads a numeric environment variable; an invalid value is reported on stderr and ignored.
fn env_number(var: &str, parse: fn(&str) -> Result<u64, String>) -> Option<u64> {
    let v = std::env::var(var).ok()?;
    if v.trim().is_empty() {
        return None;
    }
    match parse(&v) {
        Ok(n) => Some(n),
        Err(e) => {
            eprintln!("agentstat: warning: {var}={v:?} ignored: {e}");
            None
        }
    }
}

/// A whole number of days.
pub fn parse_days(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("expected a whole number of days, got {s:?}"))
}

/// Bytes: a whole number with an optional suffix `K`, `M`, `G` (also `KB`/`KiB`, …; powers of
/// 1024; case-insensitive), e.g. `500M`.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let (num, mult) = [
        ("kib", 1u64 << 10),
        ("mib", 1 << 20),
        ("gib", 1 << 30),
        ("kb", 1 << 10),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("k", 1 << 10),
        ("m", 1 << 20),
        ("g", 1 << 30),
        ("b", 1),
    ]
    .iter()
    .find_map(|(suf, m)| lower.strip_suffix(suf).map(|n| (n.trim().to_string(), *m)))
    .unwrap_or((lower.clone(), 1));
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| {
            format!("expected a size in bytes such as 1073741824, 500M or 1G, got {s:?}")
        })
}

/// Marks the entry at `path` as used at `now`, unless it was within the last day. Errors are
/// ignored (a read-only cache still serves hits; the entry just ages out sooner).
pub fn mark_used(path: &Path, now: SystemTime) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let recent = meta
        .modified()
        .ok()
        .and_then(|m| now.duration_since(m).ok())
        .is_some_and(|age| age < TOUCH_AFTER);
    if !recent {
        if let Ok(f) = std::fs::File::open(path) {
            let _ = f.set_modified(now);
        }
    }
}

/// One cache entry as listed.
#[derive(Debug, Clone)]
struct Entry {
    path: PathBuf,
    bytes: u64,
    used: SystemTime,
}

/// Entries and size of a cache directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub entries: u64,
    /// Sum of the entries' file sizes (the disk holds a little more: block rounding).
    pub bytes: u64,
    /// Least and most recent use among the entries.
    pub oldest: Option<SystemTime>,
    pub newest: Option<SystemTime>,
    /// Leftover temporary files of interrupted writes.
    pub temp_files: u64,
}

/// What [`prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Entries removed for age, and for the size cap.
    pub removed_old: u64,
    pub removed_for_size: u64,
    /// Bytes freed by those removals.
    pub freed: u64,
    /// Entries and bytes left.
    pub kept: u64,
    pub kept_bytes: u64,
    /// Stale temporary files removed.
    pub temp_removed: u64,
    /// Entries that vanished between listing and removal (another process pruned or rewrote
    /// them): not an error.
    pub vanished: u64,
    /// Entries that could not be removed, with the reason.
    pub errors: Vec<String>,
}

fn is_shard(name: &str) -> bool {
    name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Lists a cache directory: shard directories of two hex digits, `*.json` entries in them.
/// Files that vanish while listing are skipped; temporary files are returned apart.
fn list(dir: &Path) -> (Vec<Entry>, Vec<Entry>) {
    let mut entries = Vec::new();
    let mut temps = Vec::new();
    let Ok(shards) = std::fs::read_dir(dir) else {
        return (entries, temps);
    };
    for shard in shards.flatten() {
        let name = shard.file_name();
        if !name.to_str().is_some_and(is_shard) {
            continue;
        }
        let Ok(files) = std::fs::read_dir(shard.path()) else {
            continue;
        };
        for f in files.flatten() {
            let path = f.path();
            // Metadata is read now, not with the listing: the file may be gone already.
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let e = Entry {
                bytes: meta.len(),
                used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                path,
            };
            let fname = f.file_name();
            let fname = fname.to_string_lossy();
            if fname.ends_with(".json") && !fname.starts_with('.') {
                entries.push(e);
            } else if fname.contains(".tmp") {
                temps.push(e);
            }
        }
    }
    (entries, temps)
}

/// Entries, bytes and ages of the cache directory `dir` (see [`Cache`] for the layout).
pub fn usage(dir: &Path) -> Usage {
    let (entries, temps) = list(dir);
    Usage {
        entries: entries.len() as u64,
        bytes: entries.iter().map(|e| e.bytes).sum(),
        oldest: entries.iter().map(|e| e.used).min(),
        newest: entries.iter().map(|e| e.used).max(),
        temp_files: temps.len() as u64,
    }
}

/// Removes `path`; `Ok(false)` if it was already gone.
fn remove(path: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Evicts from the cache directory `dir`: entries last used before `now − max_age`, then the
/// least recently used until at most `max_bytes` remain; also temporary files left by
/// interrupted writes. Entries are single files removed with one `unlink` each, so a reader
/// sees an entry whole or not at all (a miss, recomputed); shard directories are kept, so a
/// concurrent writer never loses the directory it is writing into.
pub fn prune(dir: &Path, policy: &Policy, now: SystemTime) -> Pruned {
    let (entries, temps) = list(dir);
    prune_listed(entries, temps, policy, now)
}

/// [`prune`] on a listing (which may be out of date by the time it is acted on).
fn prune_listed(
    mut entries: Vec<Entry>,
    temps: Vec<Entry>,
    policy: &Policy,
    now: SystemTime,
) -> Pruned {
    let mut out = Pruned::default();
    for t in temps {
        let stale = now.duration_since(t.used).is_ok_and(|age| age > STALE_TEMP);
        if stale && remove(&t.path).unwrap_or(false) {
            out.temp_removed += 1;
        }
    }
    // Least recently used first; ties by path, so the order is reproducible.
    entries.sort_by(|a, b| a.used.cmp(&b.used).then_with(|| a.path.cmp(&b.path)));
    let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
    let cutoff = policy.max_age.and_then(|a| now.checked_sub(a));
    for e in entries {
        let old = cutoff.is_some_and(|c| e.used < c);
        let over = policy.max_bytes.is_some_and(|cap| total > cap);
        if !old && !over {
            out.kept += 1;
            out.kept_bytes += e.bytes;
            continue;
        }
        match remove(&e.path) {
            Ok(true) => {
                if old {
                    out.removed_old += 1;
                } else {
                    out.removed_for_size += 1;
                }
                out.freed += e.bytes;
                total -= e.bytes;
            }
            Ok(false) => {
                out.vanished += 1;
                total -= e.bytes;
            }
            Err(err) => {
                out.errors.push(format!("{}: {err}", e.path.display()));
                out.kept += 1;
                out.kept_bytes += e.bytes;
            }
        }
    }
    out
}

/// Removes every entry (and stale temporary file) of the cache directory `dir`.
pub fn clear(dir: &Path) -> Pruned {
    prune(
        dir,
        &Policy {
            max_age: None,
            max_bytes: Some(0),
        },
        SystemTime::now(),
    )
}

/// [`prune`] with `policy`, unless the cache was pruned automatically within the last day (a
/// marker file in `dir` records when): bounded caches without listing thousands of files on
/// every run. Returns what was done, `None` when skipped or when `dir` does not exist.
pub fn auto_prune(dir: &Path, policy: &Policy) -> Option<Pruned> {
    if !dir.is_dir() {
        return None;
    }
    let now = SystemTime::now();
    let marker = dir.join(PRUNE_MARKER);
    let recent = std::fs::metadata(&marker)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|m| now.duration_since(m).ok())
        .is_some_and(|age| age < TOUCH_AFTER);
    if recent {
        return None;
    }
    // Claim the day first, so concurrent runs do not all prune.
    let _ = std::fs::write(&marker, b"");
    Some(prune(dir, policy, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_every_part_and_round_trip() {
        let a = key("ab", "c", "v1", "m");
        assert_ne!(a, key("a", "bc", "v1", "m"));
        assert_ne!(a, key("ab", "c", "v2", "m"));
        assert_ne!(a, key("ab", "c", "v1", "m2"));
        assert_eq!(a.len(), 64);
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::open(dir.path()).unwrap();
        assert_eq!(c.get::<u32>(&a), None);
        c.put(&a, &7u32).unwrap();
        assert_eq!(c.get::<u32>(&a), Some(7));
        assert_eq!(c.len(), 1);
        std::fs::write(c.path(&a), b"{broken").unwrap();
        assert_eq!(c.get::<u32>(&a), None);
    }

    const DAY: Duration = Duration::from_secs(86_400);

    /// A fixed "now" well after the epoch, so tests never depend on the clock.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    /// An entry of `bytes` bytes last used `age` before [`now`].
    fn entry(c: &Cache, n: u32, bytes: usize, age: Duration) -> PathBuf {
        let k = key(&n.to_string(), "t", "1", "m");
        c.put(&k, &"x".repeat(bytes.saturating_sub(2))).unwrap();
        let p = c.path(&k);
        set_used(&p, now() - age);
        p
    }

    fn set_used(p: &Path, t: SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    fn used(p: &Path) -> SystemTime {
        std::fs::metadata(p).unwrap().modified().unwrap()
    }

    fn open_quiet(dir: &Path) -> Cache {
        // Without `open`'s automatic prune, so a test sets the clock itself.
        std::fs::create_dir_all(dir).unwrap();
        Cache {
            dir: dir.to_path_buf(),
        }
    }

    #[test]
    fn entries_unused_for_longer_than_the_maximum_age_are_evicted() {
        let dir = tempfile::tempdir().unwrap();
        let c = open_quiet(dir.path());
        let old = entry(&c, 1, 100, 91 * DAY);
        let edge = entry(&c, 2, 100, 89 * DAY);
        let fresh = entry(&c, 3, 100, DAY);
        let policy = Policy {
            max_age: Some(Policy::days(90)),
            max_bytes: None,
        };
        let r = prune(dir.path(), &policy, now());
        assert_eq!((r.removed_old, r.removed_for_size, r.kept), (1, 0, 2));
        assert_eq!(r.freed, 100);
        assert!(!old.exists() && edge.exists() && fresh.exists());
        assert!(r.errors.is_empty());
    }

    #[test]
    fn over_the_size_cap_the_least_recently_used_go_first() {
        let dir = tempfile::tempdir().unwrap();
        let c = open_quiet(dir.path());
        let paths: Vec<PathBuf> = (0..5).map(|i| entry(&c, i, 1000, (10 - i) * DAY)).collect();
        assert_eq!(usage(dir.path()).bytes, 5000);
        let policy = Policy {
            max_age: None,
            max_bytes: Some(2500),
        };
        let r = prune(dir.path(), &policy, now());
        // Oldest three go: 5000 → 2000 ≤ 2500.
        assert_eq!((r.removed_for_size, r.kept, r.kept_bytes), (3, 2, 2000));
        let alive: Vec<bool> = paths.iter().map(|p| p.exists()).collect();
        assert_eq!(alive, [false, false, false, true, true]);
        let u = usage(dir.path());
        assert_eq!((u.entries, u.bytes), (2, 2000));
        assert_eq!(u.oldest, Some(now() - 7 * DAY));
        assert_eq!(u.newest, Some(now() - 6 * DAY));
    }

    #[test]
    fn a_hit_marks_the_entry_used_so_it_survives_the_age_limit() {
        let dir = tempfile::tempdir().unwrap();
        let c = open_quiet(dir.path());
        let k = key("q", "t", "1", "m");
        c.put(&k, &5u32).unwrap();
        let p = c.path(&k);
        set_used(&p, SystemTime::now() - 100 * DAY);
        assert_eq!(c.get::<u32>(&k), Some(5));
        let age = SystemTime::now().duration_since(used(&p)).unwrap();
        assert!(age < DAY, "a hit refreshes the entry ({age:?} old)");
        let r = prune(
            dir.path(),
            &Policy {
                max_age: Some(Policy::days(90)),
                max_bytes: None,
            },
            SystemTime::now(),
        );
        assert_eq!((r.removed_old, r.kept), (0, 1));
        // A recent entry is not rewritten on every hit.
        let t = SystemTime::now() - Duration::from_secs(3600);
        set_used(&p, t);
        mark_used(&p, SystemTime::now());
        assert_eq!(used(&p), t);
    }

    #[test]
    fn a_file_vanishing_between_listing_and_removal_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let c = open_quiet(dir.path());
        let a = entry(&c, 1, 100, 200 * DAY);
        entry(&c, 2, 100, 200 * DAY);
        let (entries, temps) = list(dir.path());
        assert_eq!(entries.len(), 2);
        std::fs::remove_file(&a).unwrap(); // another process got there first
        let r = prune_listed(
            entries,
            temps,
            &Policy {
                max_age: Some(Policy::days(90)),
                max_bytes: None,
            },
            now(),
        );
        assert_eq!((r.removed_old, r.vanished, r.kept), (1, 1, 0));
        assert!(r.errors.is_empty());
        assert_eq!(usage(dir.path()).entries, 0);
    }

    #[test]
    fn stale_temporary_files_go_other_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let c = open_quiet(dir.path());
        let kept = entry(&c, 1, 10, DAY);
        let shard = kept.parent().unwrap();
        let stale = shard.join("abc.tmp99-1");
        let writing = shard.join("abd.tmp99-2");
        std::fs::write(&stale, b"half").unwrap();
        std::fs::write(&writing, b"half").unwrap();
        // `clear` runs at the real time.
        set_used(&stale, SystemTime::now() - DAY);
        set_used(&writing, SystemTime::now() - Duration::from_secs(5));
        // Not ours: a batch state file at the top, another cache's directory, a non-shard.
        std::fs::write(dir.path().join("batch-state.json"), b"{}").unwrap();
        std::fs::create_dir_all(dir.path().join("facets/ab")).unwrap();
        std::fs::write(dir.path().join("facets/ab/x.json"), b"{}").unwrap();
        set_used(&dir.path().join("facets/ab/x.json"), now() - 400 * DAY);
        assert_eq!(usage(dir.path()).temp_files, 2);
        let r = clear(dir.path());
        assert_eq!(r.temp_removed, 1);
        assert!(!stale.exists() && writing.exists() && !kept.exists());
        assert!(dir.path().join("batch-state.json").exists());
        assert!(dir.path().join("facets/ab/x.json").exists());
    }

    #[test]
    fn automatic_pruning_runs_at_most_once_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let c = open_quiet(dir.path());
        let old = entry(&c, 1, 10, 10_000 * DAY);
        let policy = Policy {
            max_age: Some(Policy::days(90)),
            max_bytes: None,
        };
        let r = auto_prune(dir.path(), &policy).expect("first run prunes");
        assert_eq!(r.removed_old, 1);
        assert!(!old.exists());
        let old = entry(&c, 2, 10, 10_000 * DAY);
        assert!(
            auto_prune(dir.path(), &policy).is_none(),
            "skipped within a day"
        );
        assert!(old.exists());
        set_used(&dir.path().join(PRUNE_MARKER), SystemTime::now() - 2 * DAY);
        assert_eq!(auto_prune(dir.path(), &policy).unwrap().removed_old, 1);
        // Opening the cache prunes too (with the defaults), without touching fresh entries.
        let fresh = entry(&c, 3, 10, Duration::ZERO);
        set_used(&fresh, SystemTime::now());
        set_used(&dir.path().join(PRUNE_MARKER), SystemTime::now() - 2 * DAY);
        let c = Cache::open(dir.path()).unwrap();
        assert_eq!(c.len(), 1);
        assert!(auto_prune(&dir.path().join("missing"), &policy).is_none());
    }

    #[test]
    fn sizes_and_days_parse_with_clear_errors() {
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert_eq!(parse_bytes("500M"), Ok(500 << 20));
        assert_eq!(parse_bytes("1g"), Ok(1 << 30));
        assert_eq!(parse_bytes("2 KiB"), Ok(2048));
        assert_eq!(parse_bytes("3MB"), Ok(3 << 20));
        assert!(parse_bytes("12Q").unwrap_err().contains("12Q"));
        assert!(parse_bytes("-1").is_err());
        assert!(parse_bytes("99999999999G").is_err());
        assert_eq!(parse_days(" 30 "), Ok(30));
        assert!(parse_days("a month").is_err());
    }

    /// Readers running while entries are evicted and rewritten see a whole entry or a miss,
    /// never a partial one.
    #[test]
    fn eviction_never_shows_a_reader_half_an_entry() {
        let dir = tempfile::tempdir().unwrap();
        let c = open_quiet(dir.path());
        let keys: Vec<String> = (0..40)
            .map(|i| key(&i.to_string(), "t", "1", "m"))
            .collect();
        let value = |k: &str| format!("{k}{}", "y".repeat(3000));
        for k in &keys {
            c.put(k, &value(k)).unwrap();
        }
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let readers: Vec<_> = (0..3)
                .map(|_| {
                    s.spawn(|| {
                        let (mut hits, mut misses) = (0u32, 0u32);
                        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                            for k in &keys {
                                match c.get::<String>(k) {
                                    Some(v) => {
                                        assert_eq!(v, value(k));
                                        hits += 1;
                                    }
                                    None => misses += 1,
                                }
                            }
                        }
                        (hits, misses)
                    })
                })
                .collect();
            for _ in 0..20 {
                clear(dir.path());
                for k in &keys {
                    c.put(k, &value(k)).unwrap();
                }
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            for r in readers {
                let (hits, misses) = r.join().unwrap();
                assert!(hits + misses > 0);
            }
        });
    }
}
