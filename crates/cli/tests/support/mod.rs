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
