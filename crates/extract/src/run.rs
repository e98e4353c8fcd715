//! The extraction run: discover the sessions, answer what the cache holds, read, measure and
//! classify the rest (in parallel, or in one submission for a bulk backend), and count what
//! happened for the summary.

use crate::cache::{cache_key, load, store, store_dir};
use crate::facet::build_facet;
use agentstat_classify::cache::Policy;
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::Facet;
use agentstat_ingest::{
    discover, partition, read_session, Diagnostics, IngestOptions, SessionSource, ShardSpec,
};
use agentstat_session::Session;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
    let results = work();

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
                    if facet
                        .labels
                        .as_ref()
                        .is_none_or(agentstat_facets::Labels::none_produced)
                    {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::store_dir;
    use std::path::Path;

    /// Options for a test run: salt `s`, no `--user`, the whole corpus, one session per core.
    fn options<'a>(
        backend: Option<(&'a dyn Backend, BackendId)>,
        cache_dir: Option<PathBuf>,
    ) -> ExtractOptions<'a> {
        ExtractOptions {
            backend,
            ingest: IngestOptions {
                user_label: None,
                salt: b"s".to_vec(),
            },
            cache_dir,
            shard: agentstat_ingest::ShardSpec::WHOLE,
            sessions_in_flight: 0,
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

    /// A folder `p` under `dir` holding one Claude Code session `id` whose prompt is `prompt`.
    fn one_session(dir: &Path, id: &str, prompt: &str) -> PathBuf {
        let data = dir.join("p");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join(format!("{id}.jsonl")), transcript(id, prompt)).unwrap();
        data
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
        let opts = options(Some((&backend, id.clone())), Some(dir.path().join("cache")));
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
        let opts2 = options(
            Some((
                &backend,
                BackendId {
                    prompt_version: "p2".into(),
                    ..id
                },
            )),
            Some(dir.path().join("cache")),
        );
        let (_, r4) = extract_facets(&paths, &opts2, None);
        assert_eq!(r4.classified, 2);
    }

    #[test]
    fn an_aider_history_named_another_way_is_served_from_the_cache_with_the_same_keys() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        let history = project.join(".aider.chat.history.md");
        let s1 = "# aider chat started at 2024-05-10 09:00:00\n\n#### add a test\n\nAdded.\n\n";
        let s2 = "# aider chat started at 2024-05-10 11:00:00\n\n#### fix the build\n\nFixed.\n\n";
        std::fs::write(&history, format!("{s1}{s2}")).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&project, &link).unwrap();
        let backend = Counting(Default::default());
        let id = BackendId {
            name: "counting".into(),
            model: "m".into(),
            prompt_version: "p1".into(),
        };
        let opts = options(Some((&backend, id)), Some(dir.path().join("cache")));
        let keys = |f: &[Facet]| {
            let mut k: Vec<String> = f.iter().map(|f| f.session_key.clone()).collect();
            k.sort();
            k
        };
        let (first, r1) = extract_facets(std::slice::from_ref(&project), &opts, None);
        assert_eq!((r1.sessions, r1.classified, r1.cached), (2, 2, 0));
        // Through a symlinked folder, and with `..` in the path: the same sessions, from the cache.
        for other in [link, project.join("..").join("project")] {
            let (again, r) = extract_facets(std::slice::from_ref(&other), &opts, None);
            assert_eq!((r.classified, r.cached), (0, 2), "{}", other.display());
            assert_eq!(keys(&again), keys(&first));
        }
        // A session appended: the two earlier ones keep their keys and their entries (keyed by
        // their own bytes, not the whole file's fingerprint); only the new one is classified.
        std::fs::write(
            &history,
            format!("{s1}{s2}# aider chat started at 2024-05-11 08:00:00\n\n#### more\n\nOk.\n"),
        )
        .unwrap();
        let (grown, r) = extract_facets(&[project], &opts, None);
        assert_eq!((r.sessions, r.classified, r.cached), (3, 1, 2));
        let grown = keys(&grown);
        assert!(keys(&first).iter().all(|k| grown.contains(k)));
        assert_eq!(backend.0.load(Ordering::SeqCst), 3);
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
        let data = one_session(
            dir.path(),
            "33333333-3333-3333-3333-333333333333",
            "rename the flag",
        );
        let backend = HalfBroken(Default::default());
        let opts = options(
            Some((
                &backend,
                BackendId {
                    name: "half-broken".into(),
                    model: "m".into(),
                    prompt_version: "p".into(),
                },
            )),
            Some(dir.path().join("cache")),
        );
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
        let opts = options(None, None);
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
        let data = one_session(
            dir.path(),
            "44444444-4444-4444-4444-444444444444",
            "add a flag",
        );
        let cache = dir.path().join("cache");
        let opts = options(None, Some(cache.clone()));
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
