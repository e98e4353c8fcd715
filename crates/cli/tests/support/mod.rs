//! Shared by the CLI tests: the built binary in a hermetic environment.

#![allow(dead_code)] // Each test binary uses part of it.

use std::path::Path;
use std::process::Command;

/// The `agentstat` binary with nothing inherited from the environment but `PATH`: `HOME` is
/// `home`, the XDG folders, the caches and the salt file live under it, and no agent's
/// configuration variable (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `GEMINI_*`, …) is set. The real
/// home directory and the developer's own sessions can never reach a test. The working
/// directory is `home` too, so default output folders land there.
pub fn agentstat(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agentstat"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("AGENTSTAT_CACHE_DIR", home.join("agentstat-cache"))
        .current_dir(home);
    c
}

/// [`agentstat`] with a fixed salt, so keys are the same in every run of the test.
pub fn agentstat_salted(home: &Path, salt: &str) -> Command {
    let mut c = agentstat(home);
    c.env("AGENTSTAT_SALT", salt);
    c
}

/// The repository's root (canonical).
pub fn repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// The real corpus, `../shared/corpus` from the repository root; `None` (after saying the test
/// is skipped) when it is absent, and a failure instead when `AGENTSTAT_REQUIRE_CORPUS` is set,
/// as CI sets it.
pub fn corpus() -> Option<std::path::PathBuf> {
    let corpus = repo().join("../shared/corpus");
    if corpus.is_dir() {
        return Some(corpus);
    }
    assert!(
        std::env::var_os("AGENTSTAT_REQUIRE_CORPUS").is_none(),
        "AGENTSTAT_REQUIRE_CORPUS is set but {} is missing",
        corpus.display()
    );
    eprintln!("skipped: no corpus at {}", corpus.display());
    None
}

/// The default value of the shell variable `name` in the repository's script `script` (a line
/// `NAME="${NAME:-value}"`): the shipped facet lists have one source of truth, the scripts.
pub fn script_default(script: &str, name: &str) -> String {
    let text = std::fs::read_to_string(repo().join(script)).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=\"${{{name}:-")))
        .and_then(|l| l.strip_suffix("}\""))
        .unwrap_or_else(|| panic!("{name} default in {script}"))
        .to_string()
}
