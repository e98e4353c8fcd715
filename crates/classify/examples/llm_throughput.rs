//! LLM throughput bench (docs/bench/llm-throughput.md): requests per second through the real
//! backend (rendering, request building, HTTP, validation, answer cache) against a loopback
//! Messages API server that answers every request after a fixed delay, at several limits on
//! the requests in flight.
//!
//! cargo run --release -p agentstat-classify --example llm_throughput -- [DELAY_MS] [N…]
//! (defaults: 200 ms; 4 32 128). Sessions are classified from as many threads as keep N
//! requests busy, like `agentstat extract --concurrency N`.

#[path = "../tests/llm_support/mod.rs"]
mod llm_support;

use agentstat_classify::llm::anthropic_backend;
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::Telemetry;
use llm_support::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let delay_ms: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let levels: Vec<usize> = if args.len() > 1 {
        args[1..].iter().filter_map(|a| a.parse().ok()).collect()
    } else {
        vec![4, 32, 128]
    };
    let delay = Duration::from_millis(delay_ms);
    let peak = Arc::new(AtomicUsize::new(0));
    let now = Arc::new(AtomicUsize::new(0));
    let (p2, n2) = (peak.clone(), now.clone());
    let server = Server::start(move |req, _| {
        let c = n2.fetch_add(1, Ordering::SeqCst) + 1;
        p2.fetch_max(c, Ordering::SeqCst);
        let v = req.json();
        let r = Reply::json(
            200,
            &anthropic_reply(good_answer(&v["tools"][0]["input_schema"])),
        );
        std::thread::sleep(delay);
        n2.fetch_sub(1, Ordering::SeqCst);
        r
    });
    println!("delay {delay_ms} ms per reply; ideal = in-flight / delay");
    println!("| in flight | sessions | requests | seconds | requests/s | ideal | peak in flight at server |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &levels {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut opts = options(dir.path(), &server.base);
        opts.concurrency = n;
        opts.timeout = Duration::from_secs(30);
        let backend = anthropic_backend(&opts).expect("backend");
        // Enough sessions for several seconds at the ideal rate.
        let sessions: Vec<_> = (0..(n * 2).max(8))
            .map(|i| session(&format!("task number {i} at level {n}")))
            .collect();
        let threads = n.div_ceil(3).max(2);
        let next = AtomicUsize::new(0);
        let before = server.count();
        peak.store(0, Ordering::SeqCst);
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let t = Telemetry::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(sess) = sessions.get(i) else { break };
                        let l = backend
                            .classify(&SessionInput {
                                session: sess,
                                telemetry: &t,
                            })
                            .expect("classify");
                        assert!(l.work_mode.value.is_some(), "{:?}", l.work_mode.error);
                    }
                });
            }
        });
        let secs = t0.elapsed().as_secs_f64();
        let reqs = server.count() - before;
        println!(
            "| {n} | {} | {reqs} | {secs:.2} | {:.0} | {:.0} | {} |",
            sessions.len(),
            reqs as f64 / secs,
            n as f64 / delay.as_secs_f64(),
            peak.load(Ordering::SeqCst)
        );
    }
}
