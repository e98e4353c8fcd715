//! One module per subcommand.

pub mod agree;
pub mod bench;
pub mod cache;
pub mod explain;
pub mod extract;
pub mod merge;
pub mod report;
pub mod scan;
pub mod stats;

/// What every subcommand returns: an exit code, or an error message for the user.
pub type CmdResult = Result<std::process::ExitCode, Box<dyn std::error::Error>>;
