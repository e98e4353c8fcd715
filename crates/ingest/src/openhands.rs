//! WIP
use crate::{Diagnostics, IngestOptions, SessionSource};
use agentstat_session::Session;
pub fn read_session(_src: &SessionSource, _opts: &IngestOptions, _diag: &mut Diagnostics) -> Option<Session> { None }
