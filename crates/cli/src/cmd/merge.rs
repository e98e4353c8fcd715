//! `agentstat merge a.parquet b.parquet … -o team.parquet`: pools several people's facets
//! files (team mode; never transcripts), or the shards of a sharded run, into one.
//!
//! The reading is [`agentstat_facets::dataset`]'s: a session is identified by `session_key`,
//! the first copy met (in argument order) is kept and later copies are dropped and counted, so a
//! file merged twice or a session extracted on two machines is counted once. Copies that differ
//! (e.g. re-classified with another backend) are reported separately, since which labels win
//! then matters. The pooled file is sorted by session key, like `extract`'s, so the shards of a
//! run merge into the unsharded file row for row. Shards must be complete and from one run
//! (same salt, same agentstat version) — or `--allow-missing-shards`.
//!
//! Each input that is not a shard is expected to be one person's file: the summary says how
//! many distinct people each file carries, and a file with more than one is refused unless
//! `--allow-multi-person` (forged user keys inside one file would otherwise beat the
//! `k`-people threshold). Shards are one run's slices of a corpus the runner holds already.

use super::CmdResult;
use agentstat_facets::dataset::{self, ReadOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Facets files, directories whose `*.parquet` files are all merged, or globs (quoted:
    /// `'out/shard-*.parquet'`).
    #[arg(required = true, value_name = "FACETS")]
    pub paths: Vec<PathBuf>,
    /// The pooled facets file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// Print the per-file summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Merge the shards present even if some of a sharded run are missing (a warning says how
    /// many sessions they held).
    #[arg(long)]
    pub allow_missing_shards: bool,
    /// Accept input files that carry more than one person (a team lead pooling files that
    /// were already pooled). Without it such a file is refused: one person's file with
    /// several user keys could fake the `k`-people threshold.
    #[arg(long)]
    pub allow_multi_person: bool,
}

pub fn run(args: Args) -> CmdResult {
    let data = dataset::read_dataset(
        &args.paths,
        ReadOptions {
            allow_missing_shards: args.allow_missing_shards,
        },
    )?;
    for w in &data.warnings {
        eprintln!("agentstat: warning: {w}");
    }
    let multi: Vec<String> = data
        .files
        .iter()
        .filter(|s| s.people > 1 && s.shard.is_none())
        .map(|s| format!("{} ({} people)", s.file.display(), s.people))
        .collect();
    if !multi.is_empty() && !args.allow_multi_person {
        return Err(format!(
            "refusing to merge: each input should be one person's facets file, but {} carries \
             several people: {}. A file with invented user keys would beat the privacy \
             threshold of k people. If these are files you pooled yourself (a team lead \
             merging exported team data), pass --allow-multi-person.",
            if multi.len() == 1 {
                "this file"
            } else {
                "these files"
            },
            multi.join(", ")
        )
        .into());
    }
    // Shards pool into the file of one run: keep their salt fingerprint (not their shard).
    let metas: Vec<_> = data
        .files
        .iter()
        .filter(|s| s.shard.is_some())
        .map(|s| agentstat_facets::parquet::read_meta(&s.file))
        .collect::<Result<_, _>>()?;
    let meta = match metas.first() {
        Some(m) if data.files.iter().all(|s| s.shard.is_some()) => {
            agentstat_facets::parquet::FileMeta {
                shard: None,
                shard_sizes: None,
                ..m.clone()
            }
        }
        _ => Default::default(),
    };
    agentstat_facets::parquet::write_facets_with(&args.output, &data.facets, &meta)?;

    let pooled = &data.facets;
    let summaries = &data.files;
    let people: std::collections::HashSet<&str> =
        pooled.iter().map(|f| f.user_key.as_str()).collect();
    let dups = data.duplicates();
    let conflicts = data.conflicting_duplicates();
    if args.json {
        let v = serde_json::json!({
            "output": args.output,
            "sessions": pooled.len(),
            "people": people.len(),
            "duplicates_dropped": dups,
            "conflicting_duplicates": conflicts,
            "warnings": data.warnings,
            "files": summaries,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let w = summaries
        .iter()
        .map(|s| s.file.display().to_string().len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:<w$}  {:>8}  {:>6}  {:>10}  {:>11}  {:>6}",
        "file", "sessions", "added", "duplicates", "conflicting", "people"
    );
    for s in summaries {
        println!(
            "{:<w$}  {:>8}  {:>6}  {:>10}  {:>11}  {:>6}",
            s.file.display().to_string(),
            s.sessions,
            s.added,
            s.duplicates,
            s.conflicting_duplicates,
            s.people
        );
    }
    println!(
        "Wrote {}: {} sessions from {} people ({} files; {} duplicate sessions dropped{}).",
        args.output.display(),
        pooled.len(),
        people.len(),
        summaries.len(),
        dups,
        if conflicts > 0 {
            format!(", {conflicts} of them with different labels: the first file's copy was kept")
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_facets::{Facet, Telemetry};

    fn facet(key: &str, user: &str, turns: u32) -> Facet {
        Facet {
            session_key: key.into(),
            user_key: user.into(),
            agent: "claude-code".into(),
            agent_version: None,
            interactive: turns > 0,
            excluded_reason: None,
            telemetry: Telemetry {
                human_turns: turns,
                ..Default::default()
            },
            habits: None,
            labels: None,
        }
    }

    #[test]
    fn merge_dedupes_and_reports_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.parquet");
        let b = dir.path().join("b.parquet");
        agentstat_facets::parquet::write_facets(&a, &[facet("s1", "u1", 1), facet("s2", "u1", 2)])
            .unwrap();
        agentstat_facets::parquet::write_facets(
            &b,
            &[
                facet("s2", "u1", 2),
                facet("s1", "u1", 9),
                facet("s3", "u2", 1),
            ],
        )
        .unwrap();
        let data = dataset::read_dataset(&[a.clone(), b, a], ReadOptions::default()).unwrap();
        let (pooled, sums) = (data.facets, data.files);
        let keys: Vec<&str> = pooled.iter().map(|f| f.session_key.as_str()).collect();
        assert_eq!(keys, ["s1", "s2", "s3"]);
        assert_eq!(pooled[0].telemetry.human_turns, 1, "first copy kept");
        assert_eq!(
            (sums[0].added, sums[0].duplicates, sums[0].people),
            (2, 0, 1)
        );
        assert_eq!(
            (
                sums[1].added,
                sums[1].duplicates,
                sums[1].conflicting_duplicates,
                sums[1].people
            ),
            (1, 1, 1, 2)
        );
        assert_eq!((sums[2].added, sums[2].duplicates), (0, 2));
    }

    #[test]
    fn directories_expand_to_parquet_files_and_empty_ones_fail() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert!(dataset::expand(&[dir.path().to_path_buf()]).is_err());
        agentstat_facets::parquet::write_facets(dir.path().join("b.parquet"), &[]).unwrap();
        agentstat_facets::parquet::write_facets(dir.path().join("a.parquet"), &[]).unwrap();
        let files = dataset::expand(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.parquet", "b.parquet"]);
    }
}
