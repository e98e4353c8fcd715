//! One module per subcommand.

pub mod agree;
pub mod bench;
pub mod cache;
pub mod explain;
pub mod extract;
pub mod merge;
pub mod render;
pub mod report;
pub mod scan;
pub mod stats;
pub mod train;
pub mod validate;

/// What every subcommand returns: an exit code, or an error message for the user.
pub type CmdResult = Result<std::process::ExitCode, Box<dyn std::error::Error>>;

/// Writes a command's whole output to stdout; a closed pipe (`agentstat stats … | head`) is not
/// an error.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}
