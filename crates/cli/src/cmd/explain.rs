use super::CmdResult;

#[derive(clap::Args)]
pub struct Args {
    /// Paths (files or directories).
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: Args) -> CmdResult {
    Err("`agentstat explain` is not built yet".into())
}
