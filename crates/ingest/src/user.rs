//! The person behind a session, as a salted pseudonymous key (never the raw name).

use agentstat_session::UserKey;
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// The home-directory user name in a working directory (`/Users/NAME/…`, `/home/NAME/…`,
/// `C:\Users\NAME\…`), which is how Claude Code transcripts identify a person at all.
pub fn identity_from_cwd(cwd: &str) -> Option<&str> {
    let s = cwd.strip_prefix("\\\\?\\").unwrap_or(cwd);
    let rest = if let Some(r) = s
        .strip_prefix("/Users/")
        .or_else(|| s.strip_prefix("/home/"))
    {
        r
    } else {
        let b = s.as_bytes();
        let sep = |c: u8| c == b'\\' || c == b'/';
        // Byte checks only: never slice inside a multi-byte character.
        if b.len() > 9
            && b[1] == b':'
            && sep(b[2])
            && b[3..8].eq_ignore_ascii_case(b"users")
            && sep(b[8])
        {
            &s[9..]
        } else {
            return None;
        }
    };
    let name = rest.split(['/', '\\']).next().unwrap_or("");
    if name.is_empty() || name == "Shared" {
        None
    } else {
        Some(name)
    }
}

/// `blake3(salt || identity)` as 32 hex characters.
pub fn user_key(salt: &[u8], identity: &str) -> UserKey {
    let mut h = blake3::Hasher::new();
    h.update(salt);
    h.update(identity.as_bytes());
    UserKey(h.finalize().to_hex()[..32].to_string())
}

/// Pseudonymous session key: salted blake3 of the agent's session id (32 hex characters). The
/// one key every output names a session by (`scan --json`, facets, the report, `explain`).
pub fn session_key(salt: &[u8], session_id: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"agentstat-session\0");
    h.update(salt);
    h.update(b"\0");
    h.update(session_id.as_bytes());
    h.finalize().to_hex()[..32].to_string()
}

/// Where the per-installation salt is stored.
pub fn salt_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })
        .or_else(|| std::env::var_os("APPDATA").map(PathBuf::from))?;
    Some(base.join("agentstat").join("salt"))
}

/// The per-installation salt: `AGENTSTAT_SALT` if set, else the salt file, created with 32
/// random bytes on first use. Same installation, same keys; different installations cannot
/// link their keys without sharing the salt.
pub fn load_or_create_salt() -> io::Result<Vec<u8>> {
    if let Some(s) = std::env::var_os("AGENTSTAT_SALT").filter(|v| !v.is_empty()) {
        return Ok(s.to_string_lossy().into_owned().into_bytes());
    }
    let path = salt_path().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "no HOME or XDG_CONFIG_HOME to keep the salt in; set AGENTSTAT_SALT",
        )
    })?;
    match std::fs::read(&path) {
        Ok(b) if b.len() >= 16 => return Ok(b),
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "salt file {} is too short; delete it to create a new one",
                    path.display()
                ),
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("reading {}: {e}", path.display()),
            ))
        }
    }
    let salt = random_bytes(32)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(&path) {
        Ok(mut f) => {
            f.write_all(&salt)?;
            Ok(salt)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => std::fs::read(&path),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("creating {}: {e}", path.display()),
        )),
    }
}

fn random_bytes(n: usize) -> io::Result<Vec<u8>> {
    let mut out = vec![0u8; n];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        if f.read_exact(&mut out).is_ok() {
            return Ok(out);
        }
    }
    // No /dev/urandom (Windows): std's per-process random hasher keys, mixed with time and pid.
    use std::hash::{BuildHasher, Hasher};
    let mut h = blake3::Hasher::new();
    for _ in 0..8 {
        let mut s = std::collections::hash_map::RandomState::new().build_hasher();
        s.write_u64(0);
        h.update(&s.finish().to_le_bytes());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.update(&now.as_nanos().to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    let mut rd = h.finalize_xof();
    rd.fill(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_keys_are_salted_and_stable() {
        let a = session_key(b"salt1", "abc");
        assert_eq!(a, session_key(b"salt1", "abc"));
        assert_ne!(a, session_key(b"salt2", "abc"));
        assert_ne!(a, session_key(b"salt1", "abd"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("abc"));
    }

    #[test]
    fn identities_from_home_directories() {
        assert_eq!(identity_from_cwd("/Users/dain/workspace/x"), Some("dain"));
        assert_eq!(identity_from_cwd("/home/marco"), Some("marco"));
        assert_eq!(identity_from_cwd("C:\\Users\\Ann\\src"), Some("Ann"));
        assert_eq!(identity_from_cwd("/tmp/x"), None);
        assert_eq!(identity_from_cwd("/Users/"), None);
        assert_eq!(identity_from_cwd("D:/users/bob/x"), Some("bob"));
        assert_eq!(identity_from_cwd("C:\\Usersé\\x"), None);
        assert_eq!(identity_from_cwd("é:\\Users\\x"), None);
    }

    #[test]
    fn keys_depend_on_salt_and_hide_the_name() {
        let a = user_key(b"salt-one", "dain");
        assert_eq!(a, user_key(b"salt-one", "dain"));
        assert_ne!(a, user_key(b"salt-two", "dain"));
        assert_ne!(a, user_key(b"salt-one", "alex"));
        assert_eq!(a.0.len(), 32);
        assert!(!a.0.contains("dain"));
    }
}
