use super::CmdResult;

#[derive(clap::Args)]
pub struct Args {
    /// Paths (files or directories).
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: Args) -> CmdResult {
    Err("`agentstat report` is not built yet".into())
}

/// `agentstat` with no arguments: the report on ~/.claude/projects.
pub fn run_default() -> CmdResult {
    run(Args { paths: vec![] })
}
