//! The privacy boundary is enforced by the crate graph: statistics and reports can only see
//! facets, never transcript types. This test fails if anyone adds a dependency (direct or
//! transitive) that breaks that rule.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Transcript-side crates: anything that can hold transcript text.
const TRANSCRIPT_SIDE: &[&str] = &[
    "agentstat-session",
    "agentstat-ingest",
    "agentstat-telemetry",
    "agentstat-redact",
    "agentstat-classify",
    "agentstat-learn",
    "agentstat-extract",
];

/// Crates that must stay on the facets side of the boundary.
const FACETS_SIDE: &[&str] = &["agentstat-facets", "agentstat-stats", "agentstat-report"];

fn workspace_graph() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--no-deps",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let mut graph = BTreeMap::new();
    for pkg in meta["packages"].as_array().expect("packages") {
        let name = pkg["name"].as_str().unwrap().to_string();
        let deps = pkg["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            // Normal and build dependencies count; dev-dependencies only reach tests.
            .filter(|d| d["kind"].is_null() || d["kind"] == "build")
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect();
        graph.insert(name, deps);
    }
    graph
}

fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(n) = stack.pop() {
        for d in graph.get(&n).into_iter().flatten() {
            if seen.insert(d.clone()) {
                stack.push(d.clone());
            }
        }
    }
    seen
}

#[test]
fn facets_side_never_reaches_transcript_types() {
    let graph = workspace_graph();
    for krate in FACETS_SIDE {
        assert!(
            graph.contains_key(*krate),
            "{krate} is missing from the workspace"
        );
        let reach = reachable(&graph, krate);
        for bad in TRANSCRIPT_SIDE {
            assert!(
                !reach.contains(*bad),
                "{krate} depends (directly or transitively) on {bad}: statistics and reports \
                 must only see facets"
            );
        }
    }
}

#[test]
fn the_check_itself_detects_a_violation() {
    // Guard against a vacuous test: the CLI legitimately reaches both sides.
    let graph = workspace_graph();
    let reach = reachable(&graph, "agentstat");
    assert!(reach.contains("agentstat-session") && reach.contains("agentstat-stats"));
}
