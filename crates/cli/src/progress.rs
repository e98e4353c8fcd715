//! Progress of a long `extract` on stderr: sessions done, LLM calls made and answered from the
//! cache, tokens, errors, elapsed time and an ETA, at least every few seconds — a line per
//! period when stderr is a log file (a cluster job), the bar's message on a terminal. A resumed
//! run first says how much was already done and how much is left.

use agentstat_classify::llm::meter::{Counts, Meter};
use agentstat_extract::{extract_facets, ExtractOptions, ExtractReport};
use agentstat_facets::Facet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Where progress lines go.
pub type Sink = Box<dyn FnMut(&str) + Send>;

/// What the classifier backend says about its own waiting (requests in flight, retries, time
/// waited on the server): appended to each line.
pub type Status<'a> = &'a (dyn Fn() -> Option<String> + Sync);

/// Shared between the workers' ticks and the printing thread.
pub struct Progress<'a> {
    start: Instant,
    status: Option<Status<'a>>,
    meter: Option<Arc<Meter>>,
    done: AtomicU64,
    total: AtomicU64,
    /// Done before this run started (the facet cache); `u64::MAX` until known.
    at_start: AtomicU64,
    said_start: AtomicBool,
    sink: Mutex<Sink>,
}

impl<'a> Progress<'a> {
    /// `sink` receives each line (stderr, or a terminal bar's message).
    pub fn new(meter: Option<Arc<Meter>>, sink: Sink) -> Progress<'a> {
        Progress {
            start: Instant::now(),
            status: None,
            meter,
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            at_start: AtomicU64::new(u64::MAX),
            said_start: AtomicBool::new(false),
            sink: Mutex::new(sink),
        }
    }

    /// Append the backend's own status (see [`Status`]) to every line.
    pub fn with_status(mut self, status: Status<'a>) -> Progress<'a> {
        self.status = Some(status);
        self
    }

    /// The extract callback: (done, total); the first call gives what was already done.
    pub fn tick(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.fetch_max(done, Ordering::Relaxed);
        if self
            .at_start
            .compare_exchange(u64::MAX, done, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
            && done > 0
            && !self.said_start.swap(true, Ordering::Relaxed)
        {
            self.emit(&format!(
                "resuming: {done} of {total} sessions already extracted (facet cache), {} left",
                total - done
            ));
        }
    }

    fn emit(&self, line: &str) {
        if let Ok(mut s) = self.sink.lock() {
            s(line);
        }
    }

    /// The progress line now.
    pub fn line(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        let at_start = match self.at_start.load(Ordering::Relaxed) {
            u64::MAX => 0,
            n => n,
        };
        let elapsed = self.start.elapsed();
        let pct = if total > 0 {
            done as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        let mut s = format!("{done}/{total} sessions ({pct:.0}%)");
        if let Some(m) = &self.meter {
            let c: Counts = m.counts();
            s.push_str(&format!(
                ", {} calls, {} cached, {} tokens in / {} out, {} errors",
                c.calls,
                c.cached,
                human(c.input_tokens),
                human(c.output_tokens),
                c.errors
            ));
        }
        if let Some(st) = self.status.and_then(|f| f()) {
            s.push_str(&format!("; {st}"));
        }
        s.push_str(&format!(", {} elapsed", clock(elapsed)));
        // ETA from this run's own pace (sessions done by this run, not found in the cache).
        let fresh = done.saturating_sub(at_start);
        let left = total.saturating_sub(done);
        if fresh > 0 && left > 0 {
            let eta = elapsed.mul_f64(left as f64 / fresh as f64);
            s.push_str(&format!(", ETA {}", clock(eta)));
        } else if left > 0 {
            s.push_str(", ETA unknown");
        }
        s
    }

    /// Print [`Progress::line`] every `every` until `f` returns (and not at all if it is
    /// quick); returns `f`'s value.
    pub fn every<T>(&self, every: Duration, f: impl FnOnce() -> T) -> T {
        if every.is_zero() {
            return f();
        }
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::scope(|s| {
            s.spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    let line = self.line();
                    self.emit(&line);
                }
            });
            let out = f();
            let _ = stop.send(());
            out
        })
    }
}

/// Run an extraction with its progress on stderr: on a terminal a bar whose message is the
/// progress line, elsewhere (a log file, CI) a line every `every` (zero: none). The lines carry
/// the LLM backend's own status (requests in flight, retries) and `meter`'s counts when given.
/// `what` names the work on the bar (`extracting`, `reading and classifying`).
pub fn extract_with_progress(
    what: &str,
    paths: &[PathBuf],
    options: &ExtractOptions,
    meter: Option<Arc<Meter>>,
    every: Duration,
) -> (Vec<Facet>, ExtractReport) {
    let bar = bar(what);
    let sink: Sink = if bar.is_hidden() {
        Box::new(|line: &str| eprintln!("agentstat: {line}"))
    } else {
        let b = bar.clone();
        Box::new(move |line: &str| b.set_message(line.to_string()))
    };
    let status = || options.backend.as_ref().and_then(|(b, _)| b.progress());
    let progress = Progress::new(meter, sink).with_status(&status);
    let tick = |done: u64, total: u64| {
        if bar.length() != Some(total) {
            bar.set_length(total);
        }
        bar.set_position(done);
        progress.tick(done, total);
    };
    let out = progress.every(every, || extract_facets(paths, options, Some(&tick)));
    bar.finish_and_clear();
    out
}

/// A bar on stderr, hidden when stderr is not a terminal (CI, pipes, log files).
fn bar(what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{spinner}} {what} {{pos}}/{{len}} sessions [{{bar:30}}] {{eta}} {{msg}}"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// 1234567 → `1.2M`.
fn human(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.2}G", n as f64 / 1e9),
    }
}

/// `1h02m03s`, `4m05s`, `6s`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, sec) => format!("{h}h{m:02}m{sec:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collecting() -> (Arc<Mutex<Vec<String>>>, Sink) {
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let l2 = lines.clone();
        (
            lines,
            Box::new(move |s: &str| l2.lock().unwrap().push(s.to_string())),
        )
    }

    #[test]
    fn a_resumed_run_says_what_is_left_and_lines_carry_every_count() {
        let meter = Arc::new(Meter::default());
        meter.reply(r#"{"usage":{"input_tokens":12000,"output_tokens":30}}"#);
        meter.cache_hit();
        meter.error();
        let (lines, sink) = collecting();
        let p = Progress::new(Some(meter), sink);
        p.tick(30, 100);
        p.tick(31, 100);
        p.tick(40, 100);
        let got = lines.lock().unwrap().clone();
        assert_eq!(
            got,
            ["resuming: 30 of 100 sessions already extracted (facet cache), 70 left"]
        );
        let line = p.line();
        for want in [
            "40/100 sessions (40%)",
            "1 calls",
            "1 cached",
            "12.0k tokens in / 30 out",
            "1 errors",
            "elapsed",
            "ETA ",
        ] {
            assert!(line.contains(want), "{want:?} not in {line:?}");
        }
        assert!(!line.contains("ETA unknown"));
    }

    #[test]
    fn a_fresh_run_says_nothing_at_start_and_prints_periodically() {
        let (lines, sink) = collecting();
        let p = Progress::new(None, sink);
        p.tick(0, 10);
        let out = p.every(Duration::from_millis(20), || {
            std::thread::sleep(Duration::from_millis(110));
            7
        });
        assert_eq!(out, 7);
        let got = lines.lock().unwrap().clone();
        assert!(got.len() >= 3, "{got:?}");
        assert!(
            got.iter()
                .all(|l| l.starts_with("0/10 sessions (0%)") && l.contains("ETA unknown")),
            "{got:?}"
        );
        assert!(!got[0].contains("calls"), "no LLM: no call counts");
        assert_eq!(clock(Duration::from_secs(3723)), "1h02m03s");
        assert_eq!(clock(Duration::from_secs(245)), "4m05s");
        assert_eq!(human(1_234_567), "1.2M");
    }
}
