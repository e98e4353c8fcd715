//! agentstat-ingest: find agent transcripts on disk and turn them into normalized
//! [`agentstat_session::Session`]s, robustly (bad lines are counted and reported, never fatal).
//!
//! Entry points: [`discover`] groups files into one [`SessionSource`] per session;
//! [`read_session`] reads one source into a `Session`. Both report into a [`Diagnostics`].
//! Only Claude Code is read so far (see [`claude`]).

pub mod claude;
pub mod diag;
pub mod discover;
pub mod lax;
pub mod reader;
pub mod user;

pub use diag::{Diagnostics, Warning};
pub use discover::{default_roots, discover, FileRole, SessionSource, SourceFile};
pub use user::{identity_from_cwd, load_or_create_salt, user_key};

use agentstat_session::Session;

/// How sessions are read.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Explicit identity of the person (e.g. `--user alice`), used instead of the home
    /// directory found in `cwd`. Only its salted hash is ever stored.
    pub user_label: Option<String>,
    /// Per-installation salt for the user key (see [`load_or_create_salt`]).
    pub salt: Vec<u8>,
}

/// Read one session (all its files) into a normalized [`Session`]. `None` when nothing
/// usable could be read (the reasons are in `diag`).
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    claude::read_session(src, opts, diag)
}
