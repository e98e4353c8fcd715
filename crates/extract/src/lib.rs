//! Extraction: transcripts → facets, one per session, with a cache.
//!
//! The one place where the transcript side (ingest, telemetry, classifiers) meets the facets
//! that cross the privacy boundary. [`extract_facets`] discovers the sessions under some paths,
//! serves the unchanged ones from the facet cache ([`default_cache_dir`]; docs/CACHE.md), reads,
//! measures and classifies the rest in parallel (or in one submission for a bulk backend such
//! as the Message Batches API), closes every string of each facet to its vocabulary, and
//! counts what happened ([`ExtractReport`]). `agentstat extract` and `agentstat report` both
//! run it; the CLI only parses flags, draws progress and prints the summary.
//!
//! ```
//! use agentstat_classify::heuristic::HeuristicBackend;
//! use agentstat_extract::{extract_facets, BackendId, ExtractOptions};
//! use agentstat_ingest::{IngestOptions, ShardSpec};
//!
//! let dir = tempfile::tempdir()?;
//! let line = |v: serde_json::Value| v.to_string() + "\n";
//! let transcript = line(serde_json::json!({"type": "user", "uuid": "u1", "parentUuid": null,
//!     "sessionId": "s1", "cwd": "/home/ada/app", "timestamp": "2026-01-05T10:00:00Z",
//!     "message": {"role": "user", "content": "fix the failing test in parser.rs"}}))
//!     + &line(serde_json::json!({"type": "assistant", "uuid": "a1", "parentUuid": "u1",
//!     "sessionId": "s1", "cwd": "/home/ada/app", "timestamp": "2026-01-05T10:00:09Z",
//!     "message": {"id": "m1", "role": "assistant", "model": "claude-sonnet-4-5",
//!         "content": [{"type": "text", "text": "Fixed: the test passes now."}]}}));
//! std::fs::write(dir.path().join("s1.jsonl"), transcript)?;
//!
//! let heuristic = HeuristicBackend::new();
//! let options = ExtractOptions {
//!     backend: Some((&heuristic, BackendId {
//!         name: "heuristic".into(),
//!         model: String::new(),
//!         prompt_version: "doc".into(),
//!     })),
//!     ingest: IngestOptions { user_label: None, salt: b"example salt".to_vec() },
//!     cache_dir: None,
//!     shard: ShardSpec::WHOLE,
//!     sessions_in_flight: 0,
//! };
//! let (facets, report) = extract_facets(&[dir.path().to_path_buf()], &options, None);
//! assert_eq!(report.sessions, 1);
//! let facet = &facets[0];
//! assert_eq!(facet.agent, "claude-code");
//! assert_eq!(facet.telemetry.human_turns, 1);
//! assert!(facet.labels.is_some(), "an interactive session is classified");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cache;
mod facet;
mod run;

pub use cache::{default_cache_dir, store_dir};
pub use run::{
    extract_facets, sessions_for_requests, BackendId, ExtractOptions, ExtractReport, Progress,
    EXIT_ALL_LABELS_FAILED, EXIT_SOME_LABELS_FAILED,
};
