//! Deterministic partition of the sessions into `N` shards, so that `N` machines (a Slurm job
//! array, a Kubernetes Indexed Job, Spark or Ray tasks) each take one slice of a corpus
//! (docs/SCALE.md).
//!
//! The unit is the session ([`SessionSource`]): its files are never split. A session's shard is
//! a hash of its identity (the session id, the same id whose salted hash is the session key),
//! not of its path or its position in a listing, so the same session lands in the same shard on
//! every machine, whatever order the paths are given or listed in. The hash is unsalted:
//! machines with different salts still agree on the partition (and `merge` refuses to pool
//! their outputs, since their keys differ).

use crate::source::SessionSource;
use std::fmt;

/// Shard `index` of `count` (0-based: `0/4` … `3/4`, like the job indices of Slurm arrays,
/// Kubernetes Indexed Jobs and Spark partitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

/// The environment variables [`ShardSpec::from_env`] reads.
pub const ENV_SLURM_ID: &str = "SLURM_ARRAY_TASK_ID";
pub const ENV_SLURM_MIN: &str = "SLURM_ARRAY_TASK_MIN";
pub const ENV_SLURM_COUNT: &str = "SLURM_ARRAY_TASK_COUNT";
pub const ENV_K8S_INDEX: &str = "JOB_COMPLETION_INDEX";
/// The shard count for a Kubernetes Indexed Job (which does not export its `completions`).
pub const ENV_SHARD_COUNT: &str = "AGENTSTAT_SHARD_COUNT";

/// The most shards a run may be cut into.
pub const MAX_SHARDS: u32 = 1 << 20;

impl ShardSpec {
    /// The whole corpus as one shard.
    pub const WHOLE: ShardSpec = ShardSpec { index: 0, count: 1 };

    pub fn new(index: u32, count: u32) -> Result<ShardSpec, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if count > MAX_SHARDS {
            return Err(format!("at most {MAX_SHARDS} shards"));
        }
        if index >= count {
            return Err(format!(
                "shard {index}/{count} is out of range: shards are numbered from 0 to {} (0-based, like job array indices)",
                count - 1
            ));
        }
        Ok(ShardSpec { index, count })
    }

    /// `K/N` with `0 <= K < N`.
    pub fn parse(text: &str) -> Result<ShardSpec, String> {
        let bad = || {
            format!(
                "malformed shard {text:?}: expected K/N (0-based K below N, e.g. 0/4), or `auto`"
            )
        };
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let k: u32 = k.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        ShardSpec::new(k, n)
    }

    /// The shard from the job index a scheduler sets: a Slurm job array
    /// (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`), else a
    /// Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, with the count from `count` — the
    /// `--shard-count` flag — or `AGENTSTAT_SHARD_COUNT`). `count`, when given, also overrides
    /// Slurm's. An error names what is missing or malformed.
    pub fn from_env(
        env: impl Fn(&str) -> Option<String>,
        count: Option<u32>,
    ) -> Result<ShardSpec, String> {
        let num = |name: &str| -> Result<Option<u32>, String> {
            match env(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| format!("{name}={v:?} is not a non-negative integer")),
            }
        };
        let count_env = num(ENV_SHARD_COUNT)?;
        if let Some(id) = num(ENV_SLURM_ID)? {
            let min = num(ENV_SLURM_MIN)?.unwrap_or(0);
            let n = match count.or(count_env).or(num(ENV_SLURM_COUNT)?) {
                Some(n) => n,
                None => {
                    return Err(format!(
                        "{ENV_SLURM_ID} is set but not {ENV_SLURM_COUNT}: pass --shard-count N"
                    ))
                }
            };
            let k = id
                .checked_sub(min)
                .ok_or_else(|| format!("{ENV_SLURM_ID}={id} is below {ENV_SLURM_MIN}={min}"))?;
            return ShardSpec::new(k, n).map_err(|e| format!("from {ENV_SLURM_ID}: {e}"));
        }
        if let Some(k) = num(ENV_K8S_INDEX)? {
            let n = count.or(count_env).ok_or_else(|| {
                format!("{ENV_K8S_INDEX} is set but not the shard count: pass --shard-count N (the Job's completions) or set {ENV_SHARD_COUNT}")
            })?;
            return ShardSpec::new(k, n).map_err(|e| format!("from {ENV_K8S_INDEX}: {e}"));
        }
        Err(format!(
            "--shard auto: neither {ENV_SLURM_ID} (a Slurm job array) nor {ENV_K8S_INDEX} (a Kubernetes Indexed Job) is set"
        ))
    }

    /// Whether this is the whole corpus.
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// Whether the session with this identity belongs to this shard.
    pub fn contains(self, session_id: &str) -> bool {
        shard_of(session_id, self.count) == self.index
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard (of `count`) a session identity falls in: the first 8 bytes of
/// `blake3("agentstat-shard\0" || id)` modulo `count`. Stable across machines and versions
/// (changing it would change every partition: it is part of the facets file's metadata
/// contract, docs/SCALE.md).
pub fn shard_of(session_id: &str, count: u32) -> u32 {
    if count <= 1 {
        return 0;
    }
    let mut h = blake3::Hasher::new();
    h.update(b"agentstat-shard\0");
    h.update(session_id.as_bytes());
    let b = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&b.as_bytes()[..8]);
    (u64::from_le_bytes(first) % u64::from(count)) as u32
}

/// The sources of shard `spec` (in their order), and how many sources each of the `count`
/// shards holds (so a run can tell how much a missing shard would have held).
pub fn partition(sources: Vec<SessionSource>, spec: ShardSpec) -> (Vec<SessionSource>, Vec<u64>) {
    let mut sizes = vec![0u64; spec.count as usize];
    let mut kept = Vec::new();
    for s in sources {
        let k = shard_of(&s.id, spec.count);
        sizes[k as usize] += 1;
        if k == spec.index {
            kept.push(s);
        }
    }
    (kept, sizes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileRole, Format, SourceFile};
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn src(id: &str, files: usize) -> SessionSource {
        SessionSource {
            id: id.into(),
            files: (0..files)
                .map(|i| SourceFile {
                    path: PathBuf::from(format!("/x/{id}/{i}.jsonl")),
                    role: FileRole::Main,
                    bytes: 1,
                    span: None,
                })
                .collect(),
            format: Format::ClaudeCode,
        }
    }

    #[test]
    fn parse_accepts_k_of_n_and_rejects_the_rest() {
        assert_eq!(
            ShardSpec::parse("0/4").unwrap(),
            ShardSpec { index: 0, count: 4 }
        );
        assert_eq!(
            ShardSpec::parse(" 3 / 4 ").unwrap(),
            ShardSpec { index: 3, count: 4 }
        );
        for bad in ["4/4", "1/0", "x/3", "3", "-1/3", "1/3/4", "", "/"] {
            let e = ShardSpec::parse(bad).unwrap_err();
            assert!(e.contains("shard"), "{bad}: {e}");
        }
        assert!(ShardSpec::parse("4/4").unwrap_err().contains("0 to 3"));
    }

    #[test]
    fn from_env_reads_slurm_and_kubernetes() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            let m: HashMap<&str, &str> = pairs.iter().copied().collect();
            move |k: &str| m.get(k).map(|v| v.to_string())
        };
        let s = ShardSpec::from_env(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "5"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "8"),
            ]),
            None,
        );
        assert_eq!(s.unwrap(), ShardSpec { index: 4, count: 8 });
        let s = ShardSpec::from_env(env(&[("JOB_COMPLETION_INDEX", "2")]), Some(3));
        assert_eq!(s.unwrap(), ShardSpec { index: 2, count: 3 });
        let s = ShardSpec::from_env(
            env(&[
                ("JOB_COMPLETION_INDEX", "2"),
                ("AGENTSTAT_SHARD_COUNT", "5"),
            ]),
            None,
        );
        assert_eq!(s.unwrap(), ShardSpec { index: 2, count: 5 });
        assert!(
            ShardSpec::from_env(env(&[("JOB_COMPLETION_INDEX", "2")]), None)
                .unwrap_err()
                .contains("--shard-count")
        );
        assert!(
            ShardSpec::from_env(env(&[("JOB_COMPLETION_INDEX", "3")]), Some(3))
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            ShardSpec::from_env(env(&[("JOB_COMPLETION_INDEX", "x")]), Some(3))
                .unwrap_err()
                .contains("JOB_COMPLETION_INDEX")
        );
        assert!(ShardSpec::from_env(env(&[]), Some(3))
            .unwrap_err()
            .contains("neither"));
    }

    #[test]
    fn partition_is_by_identity_not_order_and_covers_everything_once() {
        let ids: Vec<String> = (0..200).map(|i| format!("session-{i}")).collect();
        let n = 3;
        let mut forward: Vec<Vec<String>> = Vec::new();
        let mut sizes_f = Vec::new();
        for k in 0..n {
            let sources: Vec<SessionSource> = ids.iter().map(|i| src(i, 2)).collect();
            let (kept, sizes) = partition(sources, ShardSpec::new(k, n).unwrap());
            assert!(
                kept.iter().all(|s| s.files.len() == 2),
                "a session's files stay together"
            );
            forward.push(kept.into_iter().map(|s| s.id).collect());
            sizes_f = sizes;
        }
        // Every session in exactly one shard; every shard used.
        let mut all: Vec<&String> = forward.iter().flatten().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), ids.len());
        assert_eq!(forward.iter().map(Vec::len).sum::<usize>(), ids.len());
        assert!(
            forward.iter().all(|s| s.len() > 40),
            "roughly balanced: {sizes_f:?}"
        );
        assert_eq!(
            sizes_f,
            forward.iter().map(|s| s.len() as u64).collect::<Vec<_>>()
        );
        // Reversed listing order (another machine): the same sessions in the same shards.
        for k in 0..n {
            let sources: Vec<SessionSource> = ids.iter().rev().map(|i| src(i, 1)).collect();
            let (kept, _) = partition(sources, ShardSpec::new(k, n).unwrap());
            let mut got: Vec<String> = kept.into_iter().map(|s| s.id).collect();
            got.reverse();
            assert_eq!(got, forward[k as usize]);
        }
        // The hash is a fixed contract (docs/SCALE.md).
        assert_eq!(shard_of("session-0", 1), 0);
        let pinned: Vec<u32> = (0..6)
            .map(|i| shard_of(&format!("session-{i}"), 4))
            .collect();
        assert_eq!(pinned, pinned_values());
    }

    /// Computed independently (Python's `blake3` package), so any tool can reproduce a shard.
    fn pinned_values() -> Vec<u32> {
        vec![2, 3, 3, 0, 1, 0]
    }
}
