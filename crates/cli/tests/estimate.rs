//! `extract --classifier anthropic|openai --estimate`: calls, tokens and price with no key and
//! no network; batch halves the price; overrides apply; bad combinations are refused.

use std::path::Path;
use std::process::{Command, Output};

fn run(home: &Path, args: &[&str]) -> Output {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude/projects");
    Command::new(env!("CARGO_BIN_EXE_agentstat"))
        .env("HOME", home)
        .env("AGENTSTAT_SALT", "estimate-test")
        .env("AGENTSTAT_CACHE_DIR", home.join("cache"))
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .current_dir(home)
        .arg("extract")
        .arg(fixtures)
        .args(args)
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn estimate_counts_calls_and_prices_them_without_calling() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let a = json(&run(
        home,
        &["--classifier", "anthropic", "--estimate", "--json"],
    ));
    let sessions = a["estimate"]["sessions"].as_u64().unwrap();
    assert!(sessions >= 3);
    assert_eq!(a["estimate"]["calls"].as_u64().unwrap(), 11 * sessions);
    assert!(a["estimate"]["cache_read_tokens"].as_u64().unwrap() > 0);
    let usd = a["usd"].as_f64().unwrap();
    assert!(usd > 0.0);
    let b = json(&run(
        home,
        &[
            "--classifier",
            "anthropic",
            "--estimate",
            "--batch",
            "--json",
        ],
    ));
    assert!(
        (b["usd"].as_f64().unwrap() - usd / 2.0).abs() < 1e-9,
        "batches halve the price"
    );
    let c = json(&run(
        home,
        &[
            "--classifier",
            "anthropic",
            "--estimate",
            "--json",
            "--price-input",
            "6",
            "--price-output",
            "30",
        ],
    ));
    let cu = c["usd"].as_f64().unwrap();
    assert!(
        (cu - 2.0 * usd).abs() < 1e-9,
        "doubled prices double the total: {cu} vs {usd}"
    );
    assert!(
        !home.join("facets.parquet").exists(),
        "an estimate writes no facets"
    );
    let o = json(&run(
        home,
        &["--classifier", "openai", "--estimate", "--json"],
    ));
    assert_eq!(o["prices_per_million_tokens"]["model"], "gpt-4.1-mini");

    let e = run(
        home,
        &[
            "--classifier",
            "openai",
            "--model",
            "local-llm",
            "--estimate",
        ],
    );
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("no default price for model \"local-llm\""));
    let e = run(home, &["--estimate"]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("--estimate prices an LLM backend"));
}
