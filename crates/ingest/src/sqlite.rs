//! Opening an agent's SQLite store (feature `sqlite`): read-only, never locking out the agent
//! that writes it, rows streamed by the callers' queries (memory bounded by a row, never the
//! database).

use std::path::Path;

/// `path` opened read-only, waiting up to two seconds for a writer's lock.
pub(crate) fn open(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(2))?;
    Ok(conn)
}
