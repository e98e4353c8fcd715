//! `agentstat cache info | prune | clear`: what the facet cache and the LLM answer cache hold,
//! and evicting from them (docs/CACHE.md).
//!
//! Both caches evict on their own (at most once a day: entries unused for 90 days, then the
//! least recently used beyond the size cap); this command shows them and prunes or clears on
//! request. Eviction removes whole entry files, so a run reading the cache at the same time
//! sees an entry or a miss, never half an entry.

use super::CmdResult;

use agentstat_classify::cache::{self, Policy, Pruned, Usage};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand)]
pub enum Action {
    /// Entries, size and last use of each cache, and where it is.
    Info {
        #[command(flatten)]
        which: Which,
    },
    /// Evict entries unused for DAYS (default 90), then the least recently used until the
    /// cache fits N bytes (default: 256 MiB for facets, 1 GiB for LLM answers).
    Prune {
        /// Remove entries not used for this many days.
        #[arg(long = "older-than", value_name = "DAYS", value_parser = cache::parse_days)]
        older_than: Option<u64>,
        /// Then remove least recently used entries until at most this many bytes remain
        /// (suffixes K, M, G: powers of 1024).
        #[arg(long = "max-bytes", value_name = "N", value_parser = cache::parse_bytes)]
        max_bytes: Option<u64>,
        #[command(flatten)]
        which: Which,
    },
    /// Remove every entry (the next run rebuilds facets; LLM answers are paid for again).
    Clear {
        #[command(flatten)]
        which: Which,
    },
}

#[derive(clap::Args, Clone, Copy)]
pub struct Which {
    /// Only this cache.
    #[arg(long, value_enum)]
    pub only: Option<Kind>,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Facets,
    Llm,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Facets => "facets",
            Kind::Llm => "llm",
        }
    }
    fn default_policy(self) -> Policy {
        match self {
            Kind::Facets => Policy::facet_default(),
            Kind::Llm => Policy::llm_default(),
        }
    }
}

/// The caches selected, with their directories (`None`: no home directory known).
fn selected(
    which: Which,
    dir_of: &dyn Fn(Kind) -> Option<PathBuf>,
) -> Vec<(Kind, Option<PathBuf>)> {
    [Kind::Facets, Kind::Llm]
        .into_iter()
        .filter(|k| which.only.is_none_or(|o| o == *k))
        .map(|k| (k, dir_of(k)))
        .collect()
}

fn dir_of(kind: Kind) -> Option<PathBuf> {
    match kind {
        Kind::Facets => {
            agentstat_extract::default_cache_dir().map(|d| agentstat_extract::store_dir(&d))
        }
        Kind::Llm => Some(agentstat_classify::llm::default_cache_dir()),
    }
}

pub fn run(args: Args) -> CmdResult {
    let failed = run_on(args, &dir_of, &mut std::io::stdout())?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// [`run`] on the cache directories `dir_of` gives, printing to `out`; returns whether some
/// entry could not be removed.
fn run_on(
    args: Args,
    dir_of: &dyn Fn(Kind) -> Option<PathBuf>,
    out: &mut dyn std::io::Write,
) -> Result<bool, Box<dyn std::error::Error>> {
    let mut failed = false;
    match args.action {
        Action::Info { which } => {
            writeln!(
                out,
                "{:<7} {:>8} {:>10}  {:<27}  location",
                "cache", "entries", "size", "last used (oldest … newest)"
            )?;
            for (kind, dir) in selected(which, dir_of) {
                let Some(dir) = dir else {
                    writeln!(
                        out,
                        "{:<7} no home directory: set AGENTSTAT_CACHE_DIR",
                        kind.name()
                    )?;
                    continue;
                };
                let u = cache::usage(&dir);
                writeln!(out, "{}", info_line(kind, &u, &dir, dir.is_dir()))?;
                writeln!(
                    out,
                    "        eviction: {}",
                    describe(&kind.default_policy())
                )?;
            }
        }
        Action::Prune {
            older_than,
            max_bytes,
            which,
        } => {
            for (kind, dir) in selected(which, dir_of) {
                let Some(dir) = dir else { continue };
                let mut p = kind.default_policy();
                if let Some(d) = older_than {
                    p.max_age = Some(Policy::days(d));
                }
                if let Some(b) = max_bytes {
                    p.max_bytes = Some(b);
                }
                let r = cache::prune(&dir, &p, SystemTime::now());
                failed |= report(out, kind, &r, Some(&p))?;
            }
        }
        Action::Clear { which } => {
            for (kind, dir) in selected(which, dir_of) {
                let Some(dir) = dir else { continue };
                let r = cache::clear(&dir);
                failed |= report(out, kind, &r, None)?;
            }
        }
    }
    Ok(failed)
}

/// One line of `cache info`.
fn info_line(kind: Kind, u: &Usage, dir: &std::path::Path, exists: bool) -> String {
    let used = match (u.oldest, u.newest) {
        (Some(a), Some(b)) => format!("{} … {}", day(a), day(b)),
        _ => "–".to_string(),
    };
    let mut loc = dir.display().to_string();
    if !exists {
        loc.push_str(" (not created yet)");
    }
    if u.temp_files > 0 {
        loc.push_str(&format!(
            "; {} leftover temporary file(s), removed by prune",
            u.temp_files
        ));
    }
    format!(
        "{:<7} {:>8} {:>10}  {:<27}  {loc}",
        kind.name(),
        u.entries,
        size(u.bytes),
        used
    )
}

/// Prints what a prune (with its policy) or a clear (`None`) did; returns whether some entry
/// could not be removed.
fn report(
    out: &mut dyn std::io::Write,
    kind: Kind,
    r: &Pruned,
    policy: Option<&Policy>,
) -> std::io::Result<bool> {
    let removed = match policy {
        Some(p) => format!(
            "pruned ({}): removed {} unused for too long and {} over the size cap",
            describe(p),
            r.removed_old,
            r.removed_for_size
        ),
        None => format!("cleared: removed {}", r.removed_old + r.removed_for_size),
    };
    let mut line = format!(
        "{}: {removed} ({} freed); {} entries ({}) kept",
        kind.name(),
        size(r.freed),
        r.kept,
        size(r.kept_bytes)
    );
    if r.temp_removed > 0 {
        line += &format!("; {} leftover temporary file(s) removed", r.temp_removed);
    }
    if r.vanished > 0 {
        line += &format!("; {} already gone (another run)", r.vanished);
    }
    writeln!(out, "{line}")?;
    for e in &r.errors {
        eprintln!("agentstat: cannot remove {e}");
    }
    Ok(!r.errors.is_empty())
}

fn describe(p: &Policy) -> String {
    let age = match p.max_age {
        Some(a) => format!("unused for {} days", a.as_secs() / 86_400),
        None => "no age limit".to_string(),
    };
    let cap = match p.max_bytes {
        Some(b) => format!("least recently used beyond {}", size(b)),
        None => "no size cap".to_string(),
    };
    format!("{age}, then {cap}")
}

/// `1.5 MiB`, `512 B`.
fn size(b: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// `YYYY-MM-DD` (UTC) of a time (civil-from-days, Howard Hinnant).
fn day(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn entry(dir: &std::path::Path, name: &str, bytes: usize, age_days: u64) -> PathBuf {
        let p = dir.join(&name[..2]).join(format!("{name}.json"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, vec![b'1'; bytes]).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(age_days * 86_400))
            .unwrap();
        p
    }

    fn cmd(action: Action, facets: &std::path::Path, llm: &std::path::Path) -> String {
        let dirs = |k: Kind| {
            Some(match k {
                Kind::Facets => facets.to_path_buf(),
                Kind::Llm => llm.to_path_buf(),
            })
        };
        let mut out = Vec::new();
        let failed = run_on(Args { action }, &dirs, &mut out).unwrap();
        assert!(!failed);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn info_prune_and_clear_act_on_each_cache() {
        let root = tempfile::tempdir().unwrap();
        let (f, l) = (root.path().join("facets"), root.path().join("llm"));
        let old = entry(&f, "aa01", 100, 120);
        let lru = entry(&f, "ab02", 3000, 10);
        let new = entry(&f, "ac03", 3000, 1);
        let answer = entry(&l, "0f04", 500, 100);
        let all = Which { only: None };

        let info = cmd(Action::Info { which: all }, &f, &l);
        let facets_line = info.lines().find(|l| l.starts_with("facets")).unwrap();
        assert!(
            facets_line.contains("       3 ") && facets_line.contains("6.0 KiB"),
            "{info}"
        );
        assert!(info.lines().any(|l| l.starts_with("llm")), "{info}");

        // Only the facet cache; age and size cap from the flags.
        let only_facets = Which {
            only: Some(Kind::Facets),
        };
        let out = cmd(
            Action::Prune {
                older_than: Some(30),
                max_bytes: Some(4000),
                which: only_facets,
            },
            &f,
            &l,
        );
        assert!(
            out.contains("removed 1 unused for too long and 1 over the size cap"),
            "{out}"
        );
        assert!(!out.contains("llm"), "{out}");
        assert!(!old.exists() && !lru.exists() && new.exists() && answer.exists());

        // Defaults: the LLM answer is 100 days old (> 90).
        let prune = Action::Prune {
            older_than: None,
            max_bytes: None,
            which: all,
        };
        let out = cmd(prune, &f, &l);
        assert!(out.contains("llm: pruned (unused for 90 days"), "{out}");
        assert!(!answer.exists() && new.exists());

        let out = cmd(Action::Clear { which: all }, &f, &l);
        assert!(out.contains("facets: cleared: removed 1"), "{out}");
        assert!(!new.exists());
        // A cache that does not exist yet is reported, not an error.
        let info = cmd(Action::Info { which: all }, &root.path().join("none"), &l);
        assert!(info.contains("not created yet"), "{info}");
    }

    #[test]
    fn sizes_and_days_read_plainly() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(256 << 20), "256.0 MiB");
        assert_eq!(day(UNIX_EPOCH), "1970-01-01");
        assert_eq!(
            day(UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600)),
            "2026-01-01"
        );
        let p = Policy {
            max_age: Some(Policy::days(90)),
            max_bytes: Some(1 << 30),
        };
        assert_eq!(
            describe(&p),
            "unused for 90 days, then least recently used beyond 1.0 GiB"
        );
    }
}
