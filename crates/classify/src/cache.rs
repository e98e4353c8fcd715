//! Persistent classification cache: one small JSON file per answer, keyed by a blake3 hash of
//! the exact request input, the classifier, its prompt version and the model. A re-run, or a
//! run resumed after a crash, finds every answer already paid for and makes no call.
//!
//! Files are written to a temporary name and renamed, so a crash never leaves a half-written
//! entry; an unreadable entry is treated as a miss and overwritten. Entries hold only validated
//! answers (labels, counts, a price, or the job posting used to price a session), never the
//! model's free-text reasoning.

use std::path::{Path, PathBuf};

/// The cache key for one call.
pub fn key(input: &str, classifier: &str, prompt_version: &str, model: &str) -> String {
    let mut h = blake3::Hasher::new();
    for part in [input, classifier, prompt_version, model] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// A directory of cached answers.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// Open (creating if needed) a cache under `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<Cache> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Cache { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        let shard = key.get(..2).unwrap_or("xx");
        self.dir.join(shard).join(format!("{key}.json"))
    }

    /// The cached value for `key`, if present and readable.
    pub fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Store `value` under `key` (atomically).
    pub fn put<T: serde::Serialize>(&self, key: &str, value: &T) -> std::io::Result<()> {
        let path = self.path(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Unique per process *and* per write: two threads storing the same key at once must
        // not share a temporary file (one rename would steal the other's file).
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
        let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }

    /// Number of entries (for reports and tests).
    pub fn len(&self) -> usize {
        let Ok(shards) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        shards
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| {
                std::fs::read_dir(e.path())
                    .map(|d| {
                        d.flatten()
                            .filter(|f| f.path().extension().is_some_and(|x| x == "json"))
                            .count()
                    })
                    .unwrap_or(0)
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_every_part_and_round_trip() {
        let a = key("ab", "c", "v1", "m");
        assert_ne!(a, key("a", "bc", "v1", "m"));
        assert_ne!(a, key("ab", "c", "v2", "m"));
        assert_ne!(a, key("ab", "c", "v1", "m2"));
        assert_eq!(a.len(), 64);
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::open(dir.path()).unwrap();
        assert_eq!(c.get::<u32>(&a), None);
        c.put(&a, &7u32).unwrap();
        assert_eq!(c.get::<u32>(&a), Some(7));
        assert_eq!(c.len(), 1);
        std::fs::write(c.path(&a), b"{broken").unwrap();
        assert_eq!(c.get::<u32>(&a), None);
    }
}
