//! Print every session read from PATH… as full JSON (one line each), then the diagnostics:
//! the before/after check for changes that must not alter what is read (speed work).
//! It prints transcript text: run it on your own files or compare hashes, never publish it.
//! `cargo run --release -p agentstat-ingest --example session_json -- PATH… | sha256sum`

use agentstat_ingest::{discover, read_session, Diagnostics, IngestOptions};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let mut diag = Diagnostics::default();
    let opts = IngestOptions {
        user_label: None,
        salt: b"dump".to_vec(),
    };
    for src in discover(&paths, &mut diag) {
        match read_session(&src, &opts, &mut diag) {
            Some(s) => println!(
                "{}",
                serde_json::to_string(&s).expect("a session serializes")
            ),
            None => println!("null"),
        }
    }
    println!("{diag:?}");
}
