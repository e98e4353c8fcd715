//! The shared back-off gate: one per backend, in front of every request, so that a rate limit
//! met by one request slows all of them (docs/LLM.md, "Throughput").
//!
//! - A 429 (or Anthropic's 529 "overloaded") closes the gate for everyone until the wait is
//!   over: the server's `retry-after` when it sends one, else a wait that doubles with each
//!   rate limit in a row (from the retry policy's base delay, up to its cap). Requests already
//!   in flight finish; new ones wait at the gate instead of each discovering the limit on its
//!   own.
//! - The requests allowed in flight adapt (additive increase, multiplicative decrease): a rate
//!   limit halves the limit, and each run of successes as long as the limit raises it by one,
//!   up to the configured concurrency.
//!
//! The retry loop itself is unchanged (`http.rs`): it still waits its own back-off before a
//! retry; the gate only adds the shared pause and the adaptive limit.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct State {
    /// Closed until then (a rate limit was met).
    until: Option<Instant>,
    /// Requests allowed in flight now (1..=max).
    limit: usize,
    in_flight: usize,
    /// Rate limits in a row (no success between them).
    streak: u32,
    /// Successes since the limit last changed.
    successes: usize,
    /// Rate limits met in all.
    rate_limited: u64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Gate {
    max: usize,
    base: Duration,
    cap: Duration,
    state: Mutex<State>,
    cv: Condvar,
}

/// Held while a request is in flight.
pub struct Pass<'a>(&'a Gate);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.in_flight -= 1;
        self.0.cv.notify_all();
    }
}

impl Gate {
    /// A gate allowing up to `max` requests in flight; `base` and `cap` bound the shared wait
    /// when the server names none.
    pub fn new(max: usize, base: Duration, cap: Duration) -> Gate {
        let max = max.max(1);
        Gate {
            max,
            base,
            cap,
            state: Mutex::new(State {
                until: None,
                limit: max,
                in_flight: 0,
                streak: 0,
                successes: 0,
                rate_limited: 0,
            }),
            cv: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until the gate is open and a place is free, then take it.
    pub fn enter(&self) -> Pass<'_> {
        let mut s = self.lock();
        loop {
            let now = Instant::now();
            match s.until {
                Some(t) if t > now => {
                    s = self
                        .cv
                        .wait_timeout(s, t - now)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|e| e.into_inner().0);
                }
                _ if s.in_flight >= s.limit => {
                    s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner());
                }
                _ => break,
            }
        }
        s.in_flight += 1;
        Pass(self)
    }

    /// Record a reply's status (and the server's `retry-after`); returns the shared wait when
    /// it was a rate limit.
    pub fn observe(&self, status: u16, retry_after: Option<Duration>) -> Option<Duration> {
        let mut s = self.lock();
        if matches!(status, 429 | 529) {
            s.rate_limited += 1;
            s.streak += 1;
            s.successes = 0;
            s.limit = (s.limit / 2).max(1);
            let own = self
                .base
                .saturating_mul(1u32 << (s.streak - 1).min(16))
                .min(self.cap);
            let wait = retry_after.map(|r| r.min(self.cap)).unwrap_or(own);
            let until = Instant::now() + wait;
            s.until = Some(s.until.map_or(until, |t| t.max(until)));
            Some(wait)
        } else {
            if (200..300).contains(&status) {
                s.streak = 0;
                s.successes += 1;
                if s.successes >= s.limit && s.limit < self.max {
                    s.limit += 1;
                    s.successes = 0;
                    self.cv.notify_all();
                }
            }
            None
        }
    }

    /// Requests allowed in flight now.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Rate limits met so far.
    pub fn rate_limited(&self) -> u64 {
        self.lock().rate_limited
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_rate_limit_pauses_every_request_and_halves_the_limit() {
        let g = Arc::new(Gate::new(
            8,
            Duration::from_millis(100),
            Duration::from_secs(1),
        ));
        assert_eq!(
            g.observe(429, Some(Duration::from_millis(150))),
            Some(Duration::from_millis(150))
        );
        assert_eq!(g.limit(), 4);
        let t0 = Instant::now();
        let entered = Arc::new(AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..4 {
                let (g, entered) = (g.clone(), entered.clone());
                s.spawn(move || {
                    let _p = g.enter();
                    entered.fetch_add(1, Ordering::SeqCst);
                    assert!(
                        t0.elapsed() >= Duration::from_millis(140),
                        "entered while closed"
                    );
                });
            }
        });
        assert_eq!(entered.load(Ordering::SeqCst), 4);
        // Without retry-after: the base wait, doubling with each rate limit in a row.
        assert_eq!(g.observe(429, None), Some(Duration::from_millis(200)));
        assert_eq!(g.observe(429, None), Some(Duration::from_millis(400)));
        assert_eq!(g.limit(), 1);
        assert_eq!(g.rate_limited(), 3);
        // A success resets the streak; successes raise the limit back, one at a time.
        g.observe(200, None);
        assert_eq!(g.limit(), 2);
        assert_eq!(g.observe(429, None), Some(Duration::from_millis(100)));
        for _ in 0..20 {
            g.observe(200, None);
        }
        assert_eq!(g.limit(), 6);
        for _ in 0..100 {
            g.observe(200, None);
        }
        assert_eq!(g.limit(), 8, "never above the configured concurrency");
    }

    #[test]
    fn the_limit_bounds_requests_in_flight() {
        let g = Gate::new(3, Duration::from_millis(1), Duration::from_millis(1));
        let now = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..12 {
                s.spawn(|| {
                    let _p = g.enter();
                    let c = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(c, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(10));
                    now.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        let p = peak.load(Ordering::SeqCst);
        assert!((2..=3).contains(&p), "peak {p}");
    }
}
