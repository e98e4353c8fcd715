//! Cached extraction: transcripts → facets, one cache entry per session.
//!
//! A session's entry is keyed by the fingerprint of its source files (path, size, mtime and a
//! blake3 of the first and last 64 KB), the classifier backend, model and prompt/rule version,
//! the telemetry version and the pseudonymisation inputs (salt, `--user`). A second run over
//! unchanged sessions therefore reads no transcript and makes no LLM call. Entries are plain
//! JSON facets (no transcript text) under `$AGENTSTAT_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/agentstat`, else `~/.cache/agentstat` (in `facets/`).
//!
//! Bounded: a hit marks its entry as used, and at most once a day a run evicts entries unused
//! for 90 days and then the least recently used beyond 256 MiB (`agentstat_classify::cache`'s
//! eviction, [`Policy::facet_default`]; docs/CACHE.md; `agentstat cache`).

use agentstat_classify::cache::Policy;
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::Facet;
use agentstat_ingest::{
    discover, partition, read_session, Diagnostics, IngestOptions, SessionSource, ShardSpec,
};
use agentstat_session::Session;
use rayon::prelude::*;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Bump when the cache entry format or the facet construction changes.
const CACHE_FORMAT: &str = "facet-cache-3";
/// Bytes hashed at each end of a source file.
const EDGE: u64 = 64 * 1024;

/// What identifies the classifier that produced a facet (part of the cache key).
#[derive(Debug, Clone)]
pub struct BackendId {
    pub name: String,
    pub model: String,
    pub prompt_version: String,
}

/// Options for [`extract_facets`].
pub struct ExtractOptions<'a> {
    /// The classifier; `None` extracts telemetry only (labels left empty).
    pub backend: Option<(&'a dyn Backend, BackendId)>,
    pub ingest: IngestOptions,
    /// Cache directory; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Which slice of the sessions to extract ([`ShardSpec::WHOLE`]: all of them).
    pub shard: ShardSpec,
    /// Sessions processed at once; 0 = one per core. An LLM backend waiting on the network
    /// wants more than the cores (see [`sessions_for_requests`]); memory grows with it.
    pub sessions_in_flight: usize,
}

/// Sessions to keep in flight so that an LLM backend can hold `requests` requests in flight:
/// a session sends its first call alone, then nine at once, then one (eleven calls in three
/// round trips), so one session per three requests keeps them busy (measured:
/// docs/bench/llm-throughput.md); never fewer than the cores.
pub fn sessions_for_requests(requests: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    requests.div_ceil(3).max(cores)
}

/// Counts for the summary line, plus ingest diagnostics.
#[derive(Debug, Default)]
pub struct ExtractReport {
    pub sessions: u64,
    /// Sessions sent to the classifier in this run.
    pub classified: u64,
    /// Sessions answered from the cache.
    pub cached: u64,
    /// Non-interactive sessions (kept, not classified).
    pub not_interactive: u64,
    /// Sessions whose classification failed in whole (kept without labels) or in part (kept
    /// with the failed labels recorded); neither is cached.
    pub errors: u64,
    /// Of `errors`, the sessions for which no label at all could be produced.
    pub failed_entirely: u64,
    /// Sources that yielded no session.
    pub unreadable: u64,
    /// How many sessions each shard of the partition holds (one entry when unsharded): every
    /// shard discovers the whole corpus, so each knows the others' sizes.
    pub shard_sizes: Vec<u64>,
    pub diagnostics: Diagnostics,
}

/// Progress callback, with (done, total): first once before any work, `done` then being the
/// sessions already in the facet cache (what a resumed run need not redo), then once per
/// session processed.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Discover sessions under `paths`, measure and classify each (from the cache when possible),
/// and return one facet per session, sorted by session key.
pub fn extract_facets(
    paths: &[PathBuf],
    options: &ExtractOptions,
    progress: Option<Progress>,
) -> (Vec<Facet>, ExtractReport) {
    let mut report = ExtractReport::default();
    let (sources, sizes) = partition(discover(paths, &mut report.diagnostics), options.shard);
    report.shard_sizes = sizes;
    let total = sources.len() as u64;
    let done = AtomicU64::new(0);
    let diag = Mutex::new(Diagnostics::default());
    let salt_digest = blake3::hash(&options.ingest.salt);

    let tick = || {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(p) = progress {
            p(n, total);
        }
    };
    // Bulk backends (the Message Batches API) want every session at once.
    let bulk = matches!(&options.backend, Some((_, id)) if id.name == "anthropic-batch");
    let work = || -> Vec<Outcome> {
        if bulk {
            batch_sessions(&sources, options, salt_digest.as_bytes(), &diag, &tick)
        } else {
            let run = || {
                // Cache lookups first, so that a resumed run says at once how much is left.
                let looked: Vec<Lookup> = sources
                    .par_iter()
                    .map(|src| lookup(src, options, salt_digest.as_bytes()))
                    .collect();
                let hits = looked
                    .iter()
                    .filter(|l| matches!(l, Lookup::Hit(_)))
                    .count() as u64;
                done.store(hits, Ordering::Relaxed);
                if let Some(p) = progress {
                    p(hits, total);
                }
                sources
                    .par_iter()
                    .zip(looked.into_par_iter())
                    .map(|(src, looked)| match looked {
                        Lookup::Hit(f) => Outcome::Cached(f),
                        Lookup::Miss(key) => {
                            let out = match read(src, options, &diag) {
                                Some(session) => finish(&session, key.as_deref(), options),
                                None => Outcome::Unreadable,
                            };
                            tick();
                            out
                        }
                    })
                    .collect()
            };
            // Threads blocked on the network: a pool of its own, wider than the cores.
            match (options.sessions_in_flight > rayon::current_num_threads())
                .then(|| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(options.sessions_in_flight)
                        .build()
                        .ok()
                })
                .flatten()
            {
                Some(pool) => pool.install(run),
                None => run(),
            }
        }
    };
    // The LLM backends' own waiting lines, unless the caller prints progress already.
    let results = match &options.backend {
        Some((backend, _)) if backend.progress().is_some() && progress.is_none() => {
            with_progress_lines(*backend, &done, total, work)
        }
        _ => work(),
    };

    report
        .diagnostics
        .merge(diag.into_inner().unwrap_or_default());
    let mut facets = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Outcome::Cached(f) => {
                report.cached += 1;
                facets.push(*f);
            }
            Outcome::Fresh {
                facet,
                classified,
                error,
            } => {
                if classified {
                    report.classified += 1;
                }
                if error {
                    report.errors += 1;
                    if facet.labels.as_ref().is_none_or(no_label_produced) {
                        report.failed_entirely += 1;
                    }
                }
                facets.push(*facet);
            }
            Outcome::Unreadable => report.unreadable += 1,
        }
    }
    facets.sort_by(|a, b| a.session_key.cmp(&b.session_key));
    facets.dedup_by(|a, b| a.session_key == b.session_key);
    if let Some(dir) = &options.cache_dir {
        // After this run's hits were marked, so nothing it just used is evicted for age.
        agentstat_classify::cache::auto_prune(&store_dir(dir), &Policy::facet_default());
    }
    report.sessions = facets.len() as u64;
    report.not_interactive = facets.iter().filter(|f| !f.interactive).count() as u64;
    (facets, report)
}

/// Exit status when some labels could not be produced (the facets are written; a re-run asks
/// only for the missing labels).
pub const EXIT_SOME_LABELS_FAILED: u8 = 3;
/// Exit status when no label could be produced for any session sent to the classifier.
pub const EXIT_ALL_LABELS_FAILED: u8 = 4;

impl ExtractReport {
    /// `None` when every label was produced, else [`EXIT_SOME_LABELS_FAILED`] or
    /// [`EXIT_ALL_LABELS_FAILED`].
    pub fn label_failure_code(&self) -> Option<u8> {
        if self.errors == 0 {
            None
        } else if self.failed_entirely >= self.classified {
            Some(EXIT_ALL_LABELS_FAILED)
        } else {
            Some(EXIT_SOME_LABELS_FAILED)
        }
    }

    /// What to tell the person when labels are missing: how many, and how to resume.
    pub fn resume_hint(&self) -> Option<String> {
        self.label_failure_code()?;
        Some(format!(
            "agentstat: labels could not be produced for {} of {} sessions sent to the \
             classifier ({} with no label at all; the errors are in the facets' *_error \
             columns). Answers received are cached: run the same command again to ask only \
             for the missing labels (raise --deadline or --session-deadline if the server is \
             slow). Exit status {}.",
            self.errors,
            self.classified,
            self.failed_entirely,
            self.label_failure_code().unwrap_or(0)
        ))
    }
}

/// Whether no label at all was produced.
fn no_label_produced(l: &agentstat_facets::Labels) -> bool {
    [
        l.work_mode.value.is_none(),
        l.codebase_relation.value.is_none(),
        l.decisions.value.is_none(),
        l.expertise.value.is_none(),
        l.user_profile.value.is_none(),
        l.work_performed.value.is_none(),
        l.outcome.value.is_none(),
        l.success_signal.value.is_none(),
        l.failure_signal.value.is_none(),
        l.task_value.value.is_none(),
    ]
    .iter()
    .all(|x| *x)
}

/// Seconds between progress lines while an LLM classifier is waited on
/// (`AGENTSTAT_PROGRESS_SECS`, default 10).
fn progress_every() -> std::time::Duration {
    let secs = std::env::var("AGENTSTAT_PROGRESS_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(10.0);
    std::time::Duration::from_secs_f64(secs)
}

/// Run `work` while a thread prints a progress line on stderr every [`progress_every`]:
/// sessions done, and the backend's calls (in flight, retries, time waited).
fn with_progress_lines<R: Send>(
    backend: &dyn Backend,
    done: &AtomicU64,
    total: u64,
    work: impl FnOnce() -> R + Send,
) -> R {
    let every = progress_every();
    let t0 = std::time::Instant::now();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        s.spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop_rx.recv_timeout(every)
            {
                eprintln!(
                    "agentstat: {}/{total} sessions done; {}; {} s elapsed",
                    done.load(Ordering::Relaxed),
                    backend.progress().unwrap_or_default(),
                    t0.elapsed().as_secs()
                );
            }
        });
        let r = work();
        let _ = stop_tx.send(());
        r
    })
}

enum Outcome {
    Cached(Box<Facet>),
    Fresh {
        facet: Box<Facet>,
        classified: bool,
        error: bool,
    },
    Unreadable,
}

enum Lookup {
    Hit(Box<Facet>),
    /// Not cached; the key to store under (none when caching is off or the files are unreadable).
    Miss(Option<String>),
}

fn lookup(src: &SessionSource, options: &ExtractOptions, salt_digest: &[u8]) -> Lookup {
    let key = options
        .cache_dir
        .as_ref()
        .and_then(|_| cache_key(src, options, salt_digest));
    if let (Some(dir), Some(key)) = (&options.cache_dir, &key) {
        if let Some(f) = load(dir, key) {
            return Lookup::Hit(Box::new(f));
        }
    }
    Lookup::Miss(key)
}

fn read(
    src: &SessionSource,
    options: &ExtractOptions,
    diag: &Mutex<Diagnostics>,
) -> Option<Session> {
    let mut local = Diagnostics::default();
    let session = read_session(src, &options.ingest, &mut local);
    if let Ok(mut d) = diag.lock() {
        d.merge(local);
    }
    session
}

fn finish(session: &Session, key: Option<&str>, options: &ExtractOptions) -> Outcome {
    let (facet, classified, error) = build_facet(session, options);
    if let (Some(dir), Some(key), false) = (&options.cache_dir, key, error) {
        store(dir, key, &facet);
    }
    Outcome::Fresh {
        facet: Box::new(facet),
        classified,
        error,
    }
}

/// Batch mode: read every uncached session, hand the interactive ones to `prepare` in one go
/// (one batch submission instead of one per session), then classify each from the backend's
/// own cache. Holds the uncached sessions in memory together.
fn batch_sessions(
    sources: &[SessionSource],
    options: &ExtractOptions,
    salt_digest: &[u8],
    diag: &Mutex<Diagnostics>,
    tick: &(dyn Fn() + Sync),
) -> Vec<Outcome> {
    let mut out = Vec::with_capacity(sources.len());
    let mut pending: Vec<(Session, agentstat_facets::Telemetry, Option<String>)> = Vec::new();
    for src in sources {
        match lookup(src, options, salt_digest) {
            Lookup::Hit(f) => {
                out.push(Outcome::Cached(f));
                tick();
            }
            Lookup::Miss(key) => match read(src, options, diag) {
                Some(s) => {
                    let t = agentstat_telemetry::measure(&s);
                    pending.push((s, t, key));
                }
                None => {
                    out.push(Outcome::Unreadable);
                    tick();
                }
            },
        }
    }
    if let Some((backend, _)) = &options.backend {
        let inputs: Vec<SessionInput> = pending
            .iter()
            .filter(|(s, _, _)| s.is_interactive())
            .map(|(s, t, _)| SessionInput {
                session: s,
                telemetry: t,
            })
            .collect();
        if !inputs.is_empty() {
            if let Err(e) = backend.prepare(&inputs) {
                // Each session then fails (or succeeds) on its own in `classify` below.
                eprintln!("agentstat: batch classification failed: {e}");
            }
        }
    }
    for (s, _, key) in &pending {
        out.push(finish(s, key.as_deref(), options));
        tick();
    }
    out
}

/// Telemetry + labels for one session. Non-interactive sessions are not classified.
/// Returns (facet, sent to the classifier, classification failed).
pub fn build_facet(session: &Session, options: &ExtractOptions) -> (Facet, bool, bool) {
    let telemetry = agentstat_telemetry::measure(session);
    let excluded_reason = session.non_interactive_reason().map(str::to_owned);
    let interactive = excluded_reason.is_none();
    let mut classified = false;
    let mut error = false;
    let labels = match (&options.backend, interactive) {
        (Some((backend, _)), true) => {
            classified = true;
            match backend.classify(&SessionInput {
                session,
                telemetry: &telemetry,
            }) {
                Ok(l) => {
                    // A label that failed (e.g. retries exhausted) is kept in this run's facet
                    // but the facet is not cached, so the next run asks again.
                    error = any_label_failed(&l);
                    Some(l)
                }
                Err(e) => {
                    error = true;
                    eprintln!("agentstat: classification failed for a session: {e}");
                    None
                }
            }
        }
        _ => None,
    };
    // Without `--user`, an adapter that found no home directory in the paths its format records
    // keys the person as the fallback `unknown`, which may be several people.
    let mut telemetry = telemetry;
    telemetry.user_unknown = options.ingest.is_unidentified(&session.user);
    let mut facet = Facet {
        session_key: session_key(&options.ingest.salt, &session.id),
        user_key: session.user.0.clone(),
        agent: session.agent.name.clone(),
        agent_version: session.agent.version.clone(),
        interactive,
        excluded_reason,
        // Measured from the session like telemetry, whatever the classifier.
        habits: interactive
            .then(|| agentstat_classify::heuristic::features::habits(session, &telemetry)),
        telemetry,
        labels,
    };
    // Nothing but keys, labels and normalised patterns crosses the boundary (facets::vocab).
    agentstat_facets::vocab::close(&mut facet);
    (facet, classified, error)
}

/// Whether any classifier in `l` recorded an error instead of a label.
fn any_label_failed(l: &agentstat_facets::Labels) -> bool {
    [
        l.work_mode.error.is_some(),
        l.codebase_relation.error.is_some(),
        l.decisions.error.is_some(),
        l.expertise.error.is_some(),
        l.user_profile.error.is_some(),
        l.work_performed.error.is_some(),
        l.outcome.error.is_some(),
        l.success_signal.error.is_some(),
        l.failure_signal.error.is_some(),
        l.task_value.error.is_some(),
    ]
    .contains(&true)
}

pub use agentstat_ingest::session_key;

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

fn cache_key(src: &SessionSource, options: &ExtractOptions, salt_digest: &[u8]) -> Option<String> {
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
    let mut files = source_files(src);
    files.sort();
    for f in &files {
        fingerprint(f, &mut h)?;
    }
    // A database holding many sessions (OpenCode's `opencode.db`): the session's id too.
    if src.main_path().extension().is_some_and(|e| e == "db") {
        h.update(b"session\0");
        h.update(src.id.as_bytes());
    }
    // A file holding several sessions (an Aider history): the session's byte range too.
    for f in src.files.iter().filter(|f| f.span.is_some()) {
        let (a, b) = f.span.unwrap_or_default();
        h.update(b"span\0");
        h.update(&a.to_le_bytes());
        h.update(&b.to_le_bytes());
    }
    Some(h.finalize().to_hex().to_string())
}

/// Every file a session is read from (main transcript and subagent files).
fn source_files(src: &SessionSource) -> Vec<PathBuf> {
    src.files.iter().map(|f| f.path.clone()).collect()
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
    h.update(path.to_string_lossy().as_bytes());
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

fn load(dir: &Path, key: &str) -> Option<Facet> {
    let path = entry_path(dir, key);
    let bytes = std::fs::read(&path).ok()?;
    // A corrupt entry is a miss: it will be recomputed and overwritten.
    let facet = serde_json::from_slice(&bytes).ok()?;
    agentstat_classify::cache::mark_used(&path, std::time::SystemTime::now());
    Some(facet)
}

fn store(dir: &Path, key: &str, facet: &Facet) {
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
    fn session_keys_are_salted_and_stable() {
        let a = session_key(b"salt1", "abc");
        assert_eq!(a, session_key(b"salt1", "abc"));
        assert_ne!(a, session_key(b"salt2", "abc"));
        assert_ne!(a, session_key(b"salt1", "abd"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("abc"));
    }

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
    /// A backend that counts its calls and answers with the heuristic's labels.
    struct Counting(std::sync::atomic::AtomicU32);
    impl Backend for Counting {
        fn name(&self) -> &str {
            "counting"
        }
        fn classify(
            &self,
            input: &SessionInput,
        ) -> Result<agentstat_facets::Labels, agentstat_classify::ClassifyError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            agentstat_classify::heuristic::HeuristicBackend::new().classify(input)
        }
    }

    fn transcript(session: &str, prompt: &str) -> String {
        let rec = |v: serde_json::Value| v.to_string() + "\n";
        let mut s = String::new();
        s += &rec(
            serde_json::json!({"type":"user","uuid":"u1","parentUuid":null,"sessionId":session,
            "cwd":"/home/alice/proj","version":"2.1.0","timestamp":"2026-01-05T10:00:00Z",
            "message":{"role":"user","content":prompt}}),
        );
        s += &rec(
            serde_json::json!({"type":"assistant","uuid":"a1","parentUuid":"u1","sessionId":session,
            "cwd":"/home/alice/proj","version":"2.1.0","timestamp":"2026-01-05T10:00:05Z","requestId":"r1",
            "message":{"id":"m1","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Done, the change is in."}],
            "usage":{"input_tokens":10,"output_tokens":7}}}),
        );
        // Record ids are unique per session (ingest deduplicates records by uuid).
        s.replace("\"u1\"", &format!("\"{session}-u1\""))
            .replace("\"a1\"", &format!("\"{session}-a1\""))
            .replace("\"m1\"", &format!("\"{session}-m1\""))
    }

    #[test]
    fn second_run_is_served_from_the_cache_and_edits_invalidate() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("projects");
        std::fs::create_dir_all(&data).unwrap();
        let a = data.join("11111111-1111-1111-1111-111111111111.jsonl");
        let b = data.join("22222222-2222-2222-2222-222222222222.jsonl");
        std::fs::write(
            &a,
            transcript(
                "11111111-1111-1111-1111-111111111111",
                "add a --json flag to scan",
            ),
        )
        .unwrap();
        std::fs::write(
            &b,
            transcript(
                "22222222-2222-2222-2222-222222222222",
                "fix the failing test in parser.rs",
            ),
        )
        .unwrap();
        let backend = Counting(Default::default());
        let id = BackendId {
            name: "counting".into(),
            model: "m".into(),
            prompt_version: "p1".into(),
        };
        let opts = ExtractOptions {
            backend: Some((&backend, id.clone())),
            ingest: IngestOptions {
                user_label: None,
                salt: b"s".to_vec(),
            },
            cache_dir: Some(dir.path().join("cache")),
            shard: agentstat_ingest::ShardSpec::WHOLE,
            sessions_in_flight: 0,
        };
        let paths = vec![data.clone()];
        let (first, r1) = extract_facets(&paths, &opts, None);
        assert_eq!((r1.sessions, r1.classified, r1.cached), (2, 2, 0));
        assert_eq!(backend.0.load(Ordering::SeqCst), 2);
        assert!(first
            .iter()
            .all(|f| f.labels.is_some() && f.telemetry.human_turns == 1));

        let (second, r2) = extract_facets(&paths, &opts, None);
        assert_eq!((r2.classified, r2.cached), (0, 2));
        assert_eq!(
            backend.0.load(Ordering::SeqCst),
            2,
            "no classifier call on an unchanged corpus"
        );
        assert_eq!(first, second);

        // Appending to one transcript re-classifies that session only.
        let mut more = std::fs::read_to_string(&a).unwrap();
        more += &transcript("11111111-1111-1111-1111-111111111111", "now add tests")
            .replace("-u1\"", "-u2\"")
            .replace("-a1\"", "-a2\"")
            .replace("-m1\"", "-m2\"");
        std::fs::write(&a, more).unwrap();
        let (_, r3) = extract_facets(&paths, &opts, None);
        assert_eq!((r3.classified, r3.cached), (1, 1));

        // Another prompt version is another cache entry.
        let opts2 = ExtractOptions {
            backend: Some((
                &backend,
                BackendId {
                    prompt_version: "p2".into(),
                    ..id
                },
            )),
            ingest: IngestOptions {
                user_label: None,
                salt: b"s".to_vec(),
            },
            cache_dir: Some(dir.path().join("cache")),
            shard: agentstat_ingest::ShardSpec::WHOLE,
            sessions_in_flight: 0,
        };
        let (_, r4) = extract_facets(&paths, &opts2, None);
        assert_eq!(r4.classified, 2);
    }

    /// A backend whose work-mode classifier always fails.
    struct HalfBroken(std::sync::atomic::AtomicU32);
    impl Backend for HalfBroken {
        fn name(&self) -> &str {
            "half-broken"
        }
        fn classify(
            &self,
            input: &SessionInput,
        ) -> Result<agentstat_facets::Labels, agentstat_classify::ClassifyError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let mut l = agentstat_classify::heuristic::HeuristicBackend::new().classify(input)?;
            l.work_mode = agentstat_facets::Label::failed("retries exhausted", Default::default());
            Ok(l)
        }
    }

    #[test]
    fn facets_with_failed_labels_are_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("p");
        std::fs::create_dir_all(&data).unwrap();
        let id = "33333333-3333-3333-3333-333333333333";
        std::fs::write(
            data.join(format!("{id}.jsonl")),
            transcript(id, "rename the flag"),
        )
        .unwrap();
        let backend = HalfBroken(Default::default());
        let opts = ExtractOptions {
            backend: Some((
                &backend,
                BackendId {
                    name: "half-broken".into(),
                    model: "m".into(),
                    prompt_version: "p".into(),
                },
            )),
            ingest: IngestOptions {
                user_label: None,
                salt: b"s".to_vec(),
            },
            cache_dir: Some(dir.path().join("cache")),
            shard: agentstat_ingest::ShardSpec::WHOLE,
            sessions_in_flight: 0,
        };
        let (f, r) = extract_facets(std::slice::from_ref(&data), &opts, None);
        assert_eq!((r.errors, r.classified), (1, 1));
        assert!(f[0].labels.as_ref().unwrap().work_mode.error.is_some());
        let (_, r2) = extract_facets(&[data], &opts, None);
        assert_eq!((r2.cached, r2.classified), (0, 1));
        assert_eq!(backend.0.load(Ordering::SeqCst), 2);
    }

    fn set_used(p: &Path, t: std::time::SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    /// A run marks the entries it reads as used and evicts (once a day) entries nobody used for
    /// longer than the maximum age; what it just used stays.
    #[test]
    fn the_person_is_unknown_only_when_the_adapter_found_no_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("p");
        std::fs::create_dir_all(&data).unwrap();
        // A Claude Code session whose cwd names no home directory.
        let id = "44444444-4444-4444-4444-444444444444";
        std::fs::write(
            data.join(format!("{id}.jsonl")),
            transcript(id, "bump the version").replace("/home/alice/proj", "/srv/build"),
        )
        .unwrap();
        // A Gemini CLI session: no cwd at all, but its tool paths name /home/alice.
        let gemini = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ingest/tests/fixtures/gemini/session-legacy.json"
        );
        std::fs::copy(gemini, data.join("session-legacy.json")).unwrap();
        let opts = ExtractOptions {
            backend: None,
            ingest: IngestOptions {
                user_label: None,
                salt: b"s".to_vec(),
            },
            cache_dir: None,
            shard: agentstat_ingest::ShardSpec::WHOLE,
            sessions_in_flight: 0,
        };
        let (facets, _) = extract_facets(std::slice::from_ref(&data), &opts, None);
        let unknown: std::collections::BTreeMap<&str, bool> = facets
            .iter()
            .map(|f| (f.agent.as_str(), f.telemetry.user_unknown))
            .collect();
        assert_eq!(unknown.get("claude-code"), Some(&true), "{unknown:?}");
        assert_eq!(unknown.get("gemini-cli"), Some(&false), "{unknown:?}");
        // Named with --user, nobody is unknown.
        let named = ExtractOptions {
            ingest: IngestOptions {
                user_label: Some("alice".into()),
                salt: b"s".to_vec(),
            },
            ..opts
        };
        let (facets, _) = extract_facets(std::slice::from_ref(&data), &named, None);
        assert!(facets.iter().all(|f| !f.telemetry.user_unknown));
    }

    #[test]
    fn runs_mark_hits_used_and_evict_entries_unused_for_too_long() {
        use std::time::{Duration, SystemTime};
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("p");
        std::fs::create_dir_all(&data).unwrap();
        let id = "44444444-4444-4444-4444-444444444444";
        std::fs::write(
            data.join(format!("{id}.jsonl")),
            transcript(id, "add a flag"),
        )
        .unwrap();
        let cache = dir.path().join("cache");
        let opts = ExtractOptions {
            backend: None,
            ingest: IngestOptions {
                user_label: None,
                salt: b"s".to_vec(),
            },
            cache_dir: Some(cache.clone()),
            shard: agentstat_ingest::ShardSpec::WHOLE,
            sessions_in_flight: 0,
        };
        let (_, r1) = extract_facets(std::slice::from_ref(&data), &opts, None);
        assert_eq!(r1.cached, 0);
        let store = store_dir(&cache);
        let listed = |d: &Path| -> Vec<PathBuf> {
            let mut v = Vec::new();
            for shard in std::fs::read_dir(d).unwrap().flatten() {
                if shard.path().is_dir() {
                    v.extend(
                        std::fs::read_dir(shard.path())
                            .unwrap()
                            .flatten()
                            .map(|e| e.path()),
                    );
                }
            }
            v
        };
        let entries = listed(&store);
        assert_eq!(entries.len(), 1);
        let ours = entries[0].clone();

        // An entry for a transcript that is long gone, unused for 200 days, and ours made to
        // look unused for 200 days too; the automatic prune is due again.
        let day = Duration::from_secs(86_400);
        let gone = store.join("ff").join(format!("{}.json", "f".repeat(64)));
        std::fs::create_dir_all(gone.parent().unwrap()).unwrap();
        std::fs::copy(&ours, &gone).unwrap();
        set_used(&gone, SystemTime::now() - 200 * day);
        set_used(&ours, SystemTime::now() - 200 * day);
        set_used(&store.join(".last-prune"), SystemTime::now() - 2 * day);

        let (_, r2) = extract_facets(std::slice::from_ref(&data), &opts, None);
        assert_eq!(r2.cached, 1, "served from the cache");
        assert!(ours.exists(), "the hit marked it used before the prune");
        assert!(!gone.exists(), "unused for 200 days: evicted");
        let age = SystemTime::now()
            .duration_since(std::fs::metadata(&ours).unwrap().modified().unwrap())
            .unwrap();
        assert!(age < day);
    }
}
