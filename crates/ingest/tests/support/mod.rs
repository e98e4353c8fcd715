//! Shared by the per-format ingest tests: the ingest options they read with, and one fixture
//! file read as one session of a given format.

#![allow(dead_code)] // Each test binary uses part of it.

use agentstat_ingest::{
    read_session, Diagnostics, FileRole, Format, IngestOptions, SessionSource, SourceFile,
};
use agentstat_session::Session;
use std::path::PathBuf;

/// Options with a fixed test salt and no `--user` label.
pub fn opts() -> IngestOptions {
    IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    }
}

/// `path` as the main (only) file of one session in `format`, read with [`opts`]; the source's
/// id is the path as given.
pub fn read_as(path: PathBuf, format: Format) -> (Option<Session>, Diagnostics) {
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let src = SessionSource {
        id: path.display().to_string(),
        files: vec![SourceFile {
            path,
            role: FileRole::Main,
            bytes,
            span: None,
        }],
        format,
    };
    let mut d = Diagnostics::default();
    let s = read_session(&src, &opts(), &mut d);
    (s, d)
}
