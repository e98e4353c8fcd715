//! Time reading every session single-threaded, against the bare parse floor (profiling aid).
//! `NO_FLOOR=1` skips the floor (to profile the adapter alone), `TELEMETRY=1` also measures
//! telemetry per session (as `agentstat bench`'s "scan + telemetry"), `ROUNDS=N` (default 5).
use agentstat_ingest::reader::{Line, LineReader};
use agentstat_ingest::{discover, read_session, Diagnostics, IngestOptions};
fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let mut d = Diagnostics::default();
    let srcs = discover(&paths, &mut d);
    let opts = IngestOptions {
        user_label: None,
        salt: b"t".to_vec(),
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let telemetry = std::env::var_os("TELEMETRY").is_some();
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        let mut bytes = 0;
        for s in srcs
            .iter()
            .filter(|_| std::env::var_os("NO_FLOOR").is_none())
        {
            for f in &s.files {
                let mut r = LineReader::new(std::fs::File::open(&f.path).unwrap());
                while let Ok(Some((_, Line::Data(l)))) = r.next_line() {
                    let _ =
                        std::hint::black_box(serde_json::from_slice::<serde::de::IgnoredAny>(l));
                }
                bytes += r.bytes_read();
            }
        }
        let floor = bytes as f64 / 1e6 / t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let mut d = Diagnostics::default();
        let n = srcs
            .iter()
            .filter_map(|s| read_session(s, &opts, &mut d))
            .map(|s| {
                if telemetry {
                    std::hint::black_box(agentstat_telemetry::measure(&s));
                }
            })
            .count();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "floor {floor:.0} MB/s; ingest {n} sessions {:.0} MB/s",
            d.bytes as f64 / 1e6 / secs
        );
    }
}
