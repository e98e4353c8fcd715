//! `agentstat merge a.parquet b.parquet … -o team.parquet`: pools several people's facets
//! files (team mode; never transcripts) into one.
//!
//! A session is identified by `session_key`: the first copy met (in argument order) is kept and
//! later copies are dropped and counted, so a file merged twice or a session extracted on two
//! machines is counted once. Copies that differ (e.g. re-classified with another backend) are
//! reported separately, since which labels win then matters.
//!
//! Each input is expected to be one person's file: the summary says how many distinct people
//! each file carries, and a file with more than one is refused unless `--allow-multi-person`
//! (forged user keys inside one file would otherwise beat the `k`-people threshold).

use super::CmdResult;
use agentstat_facets::Facet;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Facets files, or directories whose `*.parquet` files are all merged.
    #[arg(required = true, value_name = "FACETS")]
    pub paths: Vec<PathBuf>,
    /// The pooled facets file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// Print the per-file summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Accept input files that carry more than one person (a team lead pooling files that
    /// were already pooled). Without it such a file is refused: one person's file with
    /// several user keys could fake the `k`-people threshold.
    #[arg(long)]
    pub allow_multi_person: bool,
}

/// Per-input counts.
#[derive(Debug, Default, serde::Serialize)]
struct FileSummary {
    file: PathBuf,
    sessions: u64,
    /// Sessions kept (not already seen in this or an earlier file).
    added: u64,
    /// Copies dropped: identical to the kept copy.
    duplicates: u64,
    /// Copies dropped whose content differs from the kept copy.
    conflicting_duplicates: u64,
    people: u64,
}

pub fn run(args: Args) -> CmdResult {
    let files = expand(&args.paths)?;
    let (pooled, summaries) = merge_files(&files)?;
    let multi: Vec<String> = summaries
        .iter()
        .filter(|s| s.people > 1)
        .map(|s| format!("{} ({} people)", s.file.display(), s.people))
        .collect();
    if !multi.is_empty() && !args.allow_multi_person {
        return Err(format!(
            "refusing to merge: each input should be one person's facets file, but {} carries \
             several people: {}. A file with invented user keys would beat the privacy \
             threshold of k people. If these are files you pooled yourself (a team lead \
             merging exported team data), pass --allow-multi-person.",
            if multi.len() == 1 { "this file" } else { "these files" },
            multi.join(", ")
        )
        .into());
    }
    agentstat_facets::parquet::write_facets(&args.output, &pooled)?;

    let people: std::collections::HashSet<&str> =
        pooled.iter().map(|f| f.user_key.as_str()).collect();
    let dups: u64 = summaries
        .iter()
        .map(|s| s.duplicates + s.conflicting_duplicates)
        .sum();
    let conflicts: u64 = summaries.iter().map(|s| s.conflicting_duplicates).sum();
    if args.json {
        let v = serde_json::json!({
            "output": args.output,
            "sessions": pooled.len(),
            "people": people.len(),
            "duplicates_dropped": dups,
            "conflicting_duplicates": conflicts,
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
    for s in &summaries {
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

/// Files as given, directories expanded to their `*.parquet` files (sorted).
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: cannot list directory: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "parquet"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("{}: no .parquet files in this directory", p.display()).into());
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn merge_files(
    files: &[PathBuf],
) -> Result<(Vec<Facet>, Vec<FileSummary>), Box<dyn std::error::Error>> {
    let mut pooled: Vec<Facet> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut summaries = Vec::new();
    for file in files {
        let facets = agentstat_facets::parquet::read_facets(file)?;
        summaries.push(merge_into(&mut pooled, &mut index, facets, file));
    }
    Ok((pooled, summaries))
}

fn merge_into(
    pooled: &mut Vec<Facet>,
    index: &mut HashMap<String, usize>,
    facets: Vec<Facet>,
    file: &Path,
) -> FileSummary {
    let mut s = FileSummary {
        file: file.to_path_buf(),
        ..Default::default()
    };
    let people: std::collections::HashSet<String> =
        facets.iter().map(|f| f.user_key.clone()).collect();
    s.people = people.len() as u64;
    for f in facets {
        s.sessions += 1;
        match index.get(&f.session_key) {
            Some(&i) if pooled[i] == f => s.duplicates += 1,
            Some(_) => s.conflicting_duplicates += 1,
            None => {
                index.insert(f.session_key.clone(), pooled.len());
                pooled.push(f);
                s.added += 1;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_facets::Telemetry;

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
        let (pooled, sums) = merge_files(&[a.clone(), b, a]).unwrap();
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
        assert!(expand(&[dir.path().to_path_buf()]).is_err());
        agentstat_facets::parquet::write_facets(dir.path().join("b.parquet"), &[]).unwrap();
        agentstat_facets::parquet::write_facets(dir.path().join("a.parquet"), &[]).unwrap();
        let files = expand(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.parquet", "b.parquet"]);
    }
}
