//! Redaction throughput over files (one `redact` call per line, as rendering calls it per turn):
//! `cargo run --release -p agentstat-redact --example throughput -- FILES_OR_DIRS…`.
//! Prints MB/s only, never text.

use std::path::{Path, PathBuf};

fn files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        if let Ok(rd) = std::fs::read_dir(p) {
            let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
            v.sort();
            for q in v {
                files(&q, out);
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
}

fn main() {
    let mut paths = Vec::new();
    for a in std::env::args().skip(1) {
        files(Path::new(&a), &mut paths);
    }
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..5 {
        let t0 = std::time::Instant::now();
        n = 0;
        for t in &texts {
            for line in t.lines() {
                n += agentstat_redact::redact(line).counts.total();
            }
        }
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!(
        "{:.1} MB in {} files: {:.0} MB/s (best of 5), {n} replacements",
        bytes as f64 / 1e6,
        texts.len(),
        bytes as f64 / 1e6 / best
    );
}
