//! `agentstat train LABELS… --corpus DIR -o model.bin`: learn the per-facet models from
//! labelled sessions (reference labels, a person's own labels, or an LLM backend's facets
//! Parquet for distillation). The work is in `agentstat_learn`; this file finds the labelled
//! sessions' transcripts and computes their features (shared with `validate`).

use super::CmdResult;
use crate::pipeline;
use agentstat_learn::{Example, Rating, TrainOptions};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Label files: JSON lines (docs/LEARNED.md) or facets Parquet from `agentstat extract`.
    #[arg(required = true)]
    pub labels: Vec<PathBuf>,
    /// Where the labelled sessions' transcripts are: the corpus root that the labels' `file`
    /// fields are relative to, or directories to scan for the labelled session keys.
    #[arg(long, required = true)]
    pub corpus: Vec<PathBuf>,
    /// Model file to write.
    #[arg(short = 'o', long = "output", default_value = "model.bin")]
    pub output: PathBuf,
    /// Seed of the person-grouped folds (same labels + same seed → byte-identical model).
    #[arg(long, default_value_t = 13)]
    pub seed: u64,
    /// Facets that keep the heuristic's label whatever the training's cross-validation says
    /// (comma-separated names, e.g. `outcome`): those where `agentstat validate`'s nested,
    /// person-grouped validation found the learned label no better (docs/LEARNED.md).
    #[arg(long, value_delimiter = ',', value_name = "FACET,…")]
    pub keep_heuristic: Vec<String>,
    /// Facets that take the learned label whatever the training's cross-validation says:
    /// those where the nested validation found it better than the rules (docs/LEARNED.md).
    #[arg(long, value_delimiter = ',', value_name = "FACET,…")]
    pub use_learned: Vec<String>,
}

/// Both pin lists name learned facets, and no facet is in both.
pub(crate) fn check_pins(keep_heuristic: &[String], use_learned: &[String]) -> Result<(), String> {
    for (flag, list) in [
        ("--keep-heuristic", keep_heuristic),
        ("--use-learned", use_learned),
    ] {
        for f in list {
            if agentstat_learn::LearnedFacet::by_name(f).is_none() {
                return Err(format!("{flag}: {f:?} is not a learned facet"));
            }
        }
    }
    if let Some(f) = use_learned.iter().find(|f| keep_heuristic.contains(f)) {
        return Err(format!(
            "{f:?} is in both --keep-heuristic and --use-learned"
        ));
    }
    Ok(())
}

pub fn run(args: Args) -> CmdResult {
    let t0 = std::time::Instant::now();
    let examples = load_examples(&args.labels, &args.corpus)?;
    let t1 = t0.elapsed();
    check_pins(&args.keep_heuristic, &args.use_learned)?;
    let model = agentstat_learn::train(
        &examples,
        &TrainOptions {
            seed: args.seed,
            keep_heuristic: args.keep_heuristic.clone(),
            use_learned: args.use_learned.clone(),
            ..Default::default()
        },
    )?;
    model.write(&args.output)?;
    eprintln!(
        "agentstat: trained on {} ratings of {} sessions ({:.1} s reading, {:.1} s fitting) → {} ({})",
        model.ratings,
        model.sessions,
        t1.as_secs_f64(),
        (t0.elapsed() - t1).as_secs_f64(),
        args.output.display(),
        model.id()
    );
    eprintln!(
        "{:<18} {:>5} {:>8} {:>9} {:>8}  model",
        "facet", "n", "learned", "heuristic", "constant"
    );
    for f in &model.facets {
        eprintln!(
            "{:<18} {:>5} {:>7.0}% {:>8.0}% {:>7.0}%  {}{:?} alpha {} over {:?}",
            f.facet,
            f.cv.n,
            f.cv.learned_exact * 100.0,
            f.cv.heuristic_exact * 100.0,
            f.cv.constant_exact * 100.0,
            if f.use_learned {
                "USED: "
            } else {
                "heuristic kept; "
            },
            f.spec.kind,
            f.spec.alpha,
            f.spec.set
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Read the label files, find each labelled session's transcript and compute its features:
/// one [`Example`] per rating. A label whose session is not found is an error naming it.
pub(crate) fn load_examples(
    labels: &[PathBuf],
    corpus: &[PathBuf],
) -> Result<Vec<Example>, String> {
    let ratings = agentstat_learn::load_labels(labels)?;
    if ratings.is_empty() {
        return Err(format!("no labels in {}", names(labels)));
    }
    for c in corpus {
        if !c.exists() {
            return Err(format!("corpus {} does not exist", c.display()));
        }
    }
    // Read only the labelled files when every label names its file and there is one root.
    let files: Option<Vec<PathBuf>> = match corpus {
        [root] => ratings
            .iter()
            .map(|r| r.file.as_ref().map(|f| root.join(f)))
            .collect::<Option<HashSet<_>>>()
            .map(|s| {
                let mut v: Vec<PathBuf> = s.into_iter().collect();
                v.sort();
                v
            }),
        _ => None,
    };
    if let Some(files) = &files {
        if let Some(r) = ratings
            .iter()
            .find(|r| r.file.as_ref().is_some_and(|f| !corpus[0].join(f).exists()))
        {
            return Err(format!(
                "{}: transcript {} not found under {}",
                r.source,
                r.file.as_deref().unwrap_or(""),
                corpus[0].display()
            ));
        }
        debug_assert!(!files.is_empty());
    }
    let wanted: HashSet<&str> = ratings.iter().map(|r| r.session.as_str()).collect();
    let opts = pipeline::options(corpus, None)?;
    let mut diag = agentstat_ingest::Diagnostics::default();
    let sources = agentstat_ingest::discover(files.as_deref().unwrap_or(corpus), &mut diag);
    let (found, d) = pipeline::map_sessions(&sources, &opts, |s, _| {
        // Labels carry `agentstat scan`/`render` keys; facets Parquet carries the facet key.
        let keys = [
            super::scan::session_key(&opts.salt, &s.id),
            agentstat_ingest::session_key(&opts.salt, &s.id),
        ];
        let key = keys.into_iter().find(|k| wanted.contains(k.as_str()))?;
        let t = agentstat_telemetry::measure(s);
        let e = agentstat_learn::features::extract(s, &t);
        Some((key, s.user.0.clone(), s.agent.name.clone(), e))
    });
    diag.merge(d);
    let by_key: HashMap<String, (String, String, agentstat_learn::features::Extracted)> = found
        .into_iter()
        .flatten()
        .map(|(k, u, a, e)| (k, (u, a, e)))
        .collect();
    let missing: Vec<&Rating> = ratings
        .iter()
        .filter(|r| !by_key.contains_key(&r.session))
        .collect();
    if let Some(first) = missing.first() {
        return Err(format!(
            "{}: session {} not found in {} ({} of {} labels have no session there; is \
             AGENTSTAT_SALT the salt the labels were keyed with?)",
            first.source,
            first.session,
            names(corpus),
            missing.len(),
            ratings.len()
        ));
    }
    Ok(ratings
        .into_iter()
        .map(|r| {
            let (user, agent, e) = &by_key[&r.session];
            let mut heuristic = [None; 9];
            for f in agentstat_learn::LearnedFacet::ALL {
                heuristic[f.index()] = f.of_labels(&e.heuristic);
            }
            Example {
                user: r.user.clone().unwrap_or_else(|| user.clone()),
                agent: r.agent.clone().unwrap_or_else(|| agent.clone()),
                session: r.session,
                rater: r.rater,
                x: e.x.clone(),
                heuristic,
                y: r.values,
            }
        })
        .collect())
}

fn names(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
