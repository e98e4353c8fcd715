//! `agentstat validate LABELS… --corpus DIR`: nested person-grouped cross-validation of the
//! learned classifier against the labels, the heuristic, the constant classifier and the
//! raters themselves (the tables of docs/VALIDATION.md).

use super::CmdResult;
use agentstat_learn::TrainOptions;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Label files (as for `agentstat train`).
    #[arg(required = true)]
    pub labels: Vec<PathBuf>,
    /// Where the labelled sessions' transcripts are (as for `agentstat train`).
    #[arg(long, required = true)]
    pub corpus: Vec<PathBuf>,
    /// Outer folds (grouped by person).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Seed of the folds.
    #[arg(long, default_value_t = 13)]
    pub seed: u64,
    /// Print JSON instead of Markdown tables.
    #[arg(long)]
    pub json: bool,
    /// As for `agentstat train`: facets whose shipped default is the heuristic's label (the
    /// "default" column then shows what the shipped model does; "learned" is unaffected).
    #[arg(long, value_delimiter = ',', value_name = "FACET,…")]
    pub keep_heuristic: Vec<String>,
    /// As for `agentstat train`: facets whose shipped default is the learned label.
    #[arg(long, value_delimiter = ',', value_name = "FACET,…")]
    pub use_learned: Vec<String>,
    /// Person keys of the held-out half of the labelled people, one per line
    /// (`scripts/labels/half-split.py people --keys held-out`): the default's and the
    /// heuristic's agreement there is reported apart (the rules were designed on the other half).
    #[arg(long, value_name = "FILE")]
    pub held_out_people: Option<PathBuf>,
    /// Also write the summary of the validated figures the report quotes
    /// (`crates/learn/model/validation.json`; docs/VALIDATION.md).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

pub fn run(args: Args) -> CmdResult {
    let t0 = std::time::Instant::now();
    super::train::check_pins(&args.keep_heuristic, &args.use_learned)?;
    let examples = super::train::load_examples(&args.labels, &args.corpus)?;
    let held_out = match &args.held_out_people {
        Some(p) => read_people(p, &examples)?,
        None => Default::default(),
    };
    let v = agentstat_learn::validate(
        &examples,
        &TrainOptions {
            seed: args.seed,
            keep_heuristic: args.keep_heuristic.clone(),
            use_learned: args.use_learned.clone(),
            ..Default::default()
        },
        args.folds,
        &held_out,
    )?;
    if let Some(p) = &args.summary {
        let split = match &args.held_out_people {
            Some(_) => "scripts/labels/half-split.py (issue 13's person split; docs/VALIDATION.md)",
            None => "",
        };
        let s = agentstat_learn::Summary::from_validation(
            &v,
            agentstat_classify::heuristic::RULES_VERSION,
            split,
        );
        std::fs::write(p, s.to_json())
            .map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
    }
    let text = if args.json {
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        v.to_markdown()
    };
    super::write_stdout(&text)?;
    eprintln!(
        "agentstat: validated in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The held-out people: one person key a line (blank lines and `#` comments skipped); a key
/// with no rating is an error naming the file and line (a split of other labels).
fn read_people(
    path: &std::path::Path,
    examples: &[agentstat_learn::Example],
) -> Result<std::collections::BTreeSet<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let known: std::collections::HashSet<&str> = examples.iter().map(|e| e.user.as_str()).collect();
    let mut out = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let key = line.trim();
        if key.is_empty() || key.starts_with('#') {
            continue;
        }
        if !known.contains(key) {
            return Err(format!(
                "{}:{}: person {key} has no rating in the labels",
                path.display(),
                i + 1
            ));
        }
        out.insert(key.to_string());
    }
    if out.is_empty() {
        return Err(format!("{}: no person keys", path.display()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(user: &str) -> agentstat_learn::Example {
        agentstat_learn::Example {
            session: "s".into(),
            user: user.into(),
            agent: "claude-code".into(),
            rater: "r1".into(),
            x: Vec::new(),
            heuristic: [None; 9],
            y: [None; 9],
        }
    }

    #[test]
    fn held_out_people_are_read_and_strangers_named_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("people.txt");
        let ex = [example("a"), example("b")];
        std::fs::write(&p, "# held-out\nb\n\n").unwrap();
        assert_eq!(
            read_people(&p, &ex)
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["b"]
        );
        std::fs::write(&p, "b\nzz\n").unwrap();
        let e = read_people(&p, &ex).unwrap_err();
        assert!(
            e.ends_with("people.txt:2: person zz has no rating in the labels"),
            "{e}"
        );
        std::fs::write(&p, "\n").unwrap();
        assert!(read_people(&p, &ex)
            .unwrap_err()
            .ends_with("no person keys"));
    }
}
