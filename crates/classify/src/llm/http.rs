//! A small blocking HTTP client with bounded retries and a concurrency limit.
//!
//! Retries 408/409/425/429/5xx (and Anthropic's 529) and connection errors and timeouts, with
//! exponential backoff and full jitter, never waiting less than the server's `retry-after`
//! (or `retry-after-ms`). Other statuses fail at once with a short, transcript-free message.
//!
//! Replies are read with a cap ([`DEFAULT_MAX_REPLY_BYTES`]) enforced as bytes arrive; a reply
//! over the cap fails at once ("reply too large" is not retried). An optional deadline (the
//! run's, and a session's) bounds every wait: no attempt starts and no backoff sleeps past it,
//! and each request's timeout is cut to the time left. Counters (requests, in flight, retries,
//! time waited) feed the progress line on stderr.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The largest reply read (8 MiB): answers are a few kilobytes, so this only stops a hostile
/// or broken server from filling memory (at most this much per request in flight).
pub const DEFAULT_MAX_REPLY_BYTES: u64 = 8 << 20;

/// Retry settings.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled for each further attempt.
    pub base_delay: Duration,
    /// Upper bound of one computed backoff.
    pub max_delay: Duration,
    /// Upper bound on a server-requested `retry-after`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// A failed request, after retries.
///
/// `Display` is our own words only (status, a known error type, attempt count): it becomes a
/// label's error and so a facet column, which must never carry transcript text. The provider's
/// own message can echo the request, so it is kept apart in `detail` for local stderr.
#[derive(Debug, Clone)]
pub enum HttpError {
    /// A non-retryable status, or a retryable one that persisted through every attempt.
    Status {
        status: u16,
        /// The provider's error type when it is one we know (see [`known_error_type`]).
        kind: Option<&'static str>,
        /// The provider's message, unredacted; print it only through [`HttpError::log`].
        detail: String,
        attempts: u32,
    },
    /// Connection failure or timeout on every attempt.
    Transport {
        /// Our own name for the failure ("timeout", "connection failed", …).
        kind: &'static str,
        /// The client library's message (may name the host); for stderr only.
        detail: String,
        attempts: u32,
    },
}

impl HttpError {
    /// Print the provider's detail, redacted, to local stderr (never to any output file).
    pub fn log(&self, context: &str) {
        let detail = match self {
            HttpError::Status { detail, .. } | HttpError::Transport { detail, .. } => detail,
        };
        if detail.is_empty() {
            eprintln!("agentstat: {context}: {self}");
        } else {
            let clean = agentstat_redact::redact(detail);
            eprintln!(
                "agentstat: {context}: {self} (provider said: {})",
                clean.text
            );
        }
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Status {
                status,
                kind,
                attempts,
                ..
            } => {
                write!(f, "HTTP {status}")?;
                if let Some(k) = kind {
                    write!(f, " {k}")?;
                }
                write!(f, " after {attempts} attempt(s)")
            }
            HttpError::Transport { kind, attempts, .. } => {
                write!(f, "{kind} after {attempts} attempt(s)")
            }
        }
    }
}

/// Error types and codes of the Anthropic and OpenAI APIs (and common OpenAI-compatible
/// servers). Only these are ever shown in a label error; anything else is dropped, since a
/// server may put arbitrary text in the field.
const KNOWN_ERROR_TYPES: &[&str] = &[
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "overloaded_error",
    "timeout_error",
    "billing_error",
    "server_error",
    "insufficient_quota",
    "rate_limit_exceeded",
    "context_length_exceeded",
    "invalid_api_key",
    "model_not_found",
    "BadRequestError",
    "NotFoundError",
];

/// `raw` as one of [`KNOWN_ERROR_TYPES`], if it is one.
pub(crate) fn known_error_type(raw: &str) -> Option<&'static str> {
    KNOWN_ERROR_TYPES.iter().copied().find(|k| *k == raw.trim())
}

/// Counting semaphore bounding in-flight requests across threads.
#[derive(Debug)]
pub(crate) struct Semaphore {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Semaphore {
    pub fn new(n: usize) -> Semaphore {
        Semaphore {
            free: Mutex::new(n.max(1)),
            cv: Condvar::new(),
        }
    }
    pub fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

pub(crate) struct Permit<'a>(&'a Semaphore);
impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.cv.notify_one();
    }
}

pub(crate) struct Http {
    agent: ureq::Agent,
    pub retry: RetryPolicy,
    sem: Semaphore,
    timeout: Duration,
    /// Replies longer than this fail (enforced while reading).
    pub max_reply: u64,
    /// No request starts and no retry waits past this instant (the run's deadline).
    pub run_deadline: Option<Instant>,
    /// The shared back-off and adaptive limit (`gate.rs`).
    pub gate: super::gate::Gate,
    /// Calls, tokens, cache hits, failures (`meter.rs`), for progress lines.
    pub meter: std::sync::Arc<super::meter::Meter>,
    /// Requests sent (attempts included), for reports and tests.
    pub requests: AtomicU64,
    /// Requests in flight now.
    pub in_flight: AtomicU64,
    /// Attempts after the first, over all requests.
    pub retries: AtomicU64,
    /// Milliseconds spent in backoff or `retry-after` waits, summed over threads.
    pub waited_ms: AtomicU64,
    rng: Mutex<u64>,
}

/// A snapshot of an HTTP client's counters, for progress lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    pub requests: u64,
    pub in_flight: u64,
    pub retries: u64,
    pub waited_secs: u64,
}

impl Http {
    pub fn new(timeout: Duration, concurrency: usize, retry: RetryPolicy) -> Http {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("agentstat/", env!("CARGO_PKG_VERSION")))
            .build();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            | 1;
        Http {
            agent: ureq::Agent::new_with_config(config),
            retry: retry.clone(),
            sem: Semaphore::new(concurrency),
            timeout,
            max_reply: DEFAULT_MAX_REPLY_BYTES,
            run_deadline: None,
            gate: super::gate::Gate::new(concurrency, retry.base_delay, retry.max_retry_after),
            meter: Default::default(),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            waited_ms: AtomicU64::new(0),
            rng: Mutex::new(seed),
        }
    }

    pub fn stats(&self) -> HttpStats {
        HttpStats {
            requests: self.requests.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            waited_secs: self.waited_ms.load(Ordering::Relaxed) / 1000,
        }
    }

    fn jitter(&self, max: Duration) -> Duration {
        let mut s = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        // xorshift64*: enough randomness to spread retries apart.
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let frac = (r >> 11) as f64 / (1u64 << 53) as f64;
        max.mul_f64(frac)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .retry
            .base_delay
            .saturating_mul(1u32 << attempt.min(20));
        let cap = exp.min(self.retry.max_delay);
        // Full jitter, but never below a quarter of the step so retries do not bunch at zero.
        cap / 4 + self.jitter(cap - cap / 4)
    }

    /// Send a request with retries. `body` is JSON text for POST, `None` for GET.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Result<String, HttpError> {
        self.send_by(method, url, headers, body, None)
    }

    /// [`Http::send`] that gives up at `deadline` (or the run's deadline, whichever is first):
    /// no attempt starts and no wait sleeps past it.
    pub fn send_by(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<String, HttpError> {
        let deadline = match (deadline, self.run_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let past_deadline = |attempts: u32| HttpError::Transport {
            kind: "deadline reached",
            detail: String::new(),
            attempts,
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = {
                let _permit = self.sem.acquire();
                let _pass = self.gate.enter();
                // The deadline is checked once a slot is free: waiting for one takes time too.
                let timeout = match deadline {
                    Some(d) => {
                        let left = d.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Err(past_deadline(attempt - 1));
                        }
                        left.min(self.timeout)
                    }
                    None => self.timeout,
                };
                if attempt > 1 {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                }
                self.requests.fetch_add(1, Ordering::Relaxed);
                self.in_flight.fetch_add(1, Ordering::Relaxed);
                let r = self.once(method, url, headers, body, timeout);
                self.in_flight.fetch_sub(1, Ordering::Relaxed);
                r
            };
            if let Ok((status, retry_after, _)) = &outcome {
                self.gate.observe(*status, *retry_after);
            }
            let last = attempt >= self.retry.max_attempts;
            let wait = match outcome {
                Ok((status, _, text)) if (200..300).contains(&status) => {
                    if body.is_some() {
                        self.meter.reply(&text);
                    }
                    return Ok(text);
                }
                Ok((status, retry_after, text)) => {
                    let retryable = matches!(status, 408 | 409 | 425 | 429 | 500..=599);
                    if !retryable || last {
                        let (kind, detail) = error_detail(&text);
                        return Err(HttpError::Status {
                            status,
                            kind,
                            detail,
                            attempts: attempt,
                        });
                    }
                    match retry_after {
                        Some(ra) => ra.min(self.retry.max_retry_after),
                        None => self.backoff(attempt - 1),
                    }
                }
                Err(e) => {
                    if last || !retryable_transport(&e) {
                        return Err(HttpError::Transport {
                            kind: transport_kind(&e),
                            detail: e.to_string(),
                            attempts: attempt,
                        });
                    }
                    self.backoff(attempt - 1)
                }
            };
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                return Err(past_deadline(attempt));
            }
            self.waited_ms
                .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
            std::thread::sleep(wait);
        }
    }

    fn once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
        timeout: Duration,
    ) -> Result<(u16, Option<Duration>, String), ureq::Error> {
        let resp = match body {
            Some(b) => {
                let mut req = self
                    .agent
                    .post(url)
                    .config()
                    .timeout_global(Some(timeout))
                    .build()
                    .header("content-type", "application/json");
                for (k, v) in headers {
                    req = req.header(*k, v.as_str());
                }
                req.send(b.as_bytes())?
            }
            None => {
                let req = if method == "GET" {
                    self.agent.get(url)
                } else {
                    self.agent.delete(url)
                };
                let mut req = req.config().timeout_global(Some(timeout)).build();
                for (k, v) in headers {
                    req = req.header(*k, v.as_str());
                }
                req.call()?
            }
        };
        let status = resp.status().as_u16();
        let h = resp.headers();
        let retry_after = h
            .get("retry-after-ms")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|ms| Duration::from_secs_f64((ms / 1000.0).max(0.0)))
            .or_else(|| {
                h.get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite())
                    .map(|s| Duration::from_secs_f64(s.max(0.0)))
            });
        let mut resp = resp;
        // The cap is enforced by the reader as bytes arrive, never after buffering it all.
        let text = resp
            .body_mut()
            .with_config()
            .limit(self.max_reply)
            .read_to_string()?;
        Ok((status, retry_after, text))
    }
}

fn retryable_transport(e: &ureq::Error) -> bool {
    // A reply over the cap would be as large again: never retried.
    !matches!(
        e,
        ureq::Error::BadUri(_)
            | ureq::Error::RequireHttpsOnly(_)
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::BodyExceedsLimit(_)
    )
}

/// Our own name for a transport failure.
fn transport_kind(e: &ureq::Error) -> &'static str {
    match e {
        ureq::Error::Timeout(_) => "timeout",
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => "timeout",
        ureq::Error::HostNotFound => "host not found",
        ureq::Error::ConnectionFailed | ureq::Error::Io(_) => "connection failed",
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => "TLS error",
        ureq::Error::BadUri(_) | ureq::Error::RequireHttpsOnly(_) => "bad URL",
        ureq::Error::BodyExceedsLimit(_) => "reply too large",
        _ => "transport error",
    }
}

/// The provider's error type (when known) and its message, shortened, for stderr. The type
/// is looked for in `error.type`, then `error.code` (OpenAI puts specific causes there).
fn error_detail(body: &str) -> (Option<&'static str>, String) {
    let v: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => return (None, body.trim().chars().take(200).collect()),
    };
    let err = v.get("error").unwrap_or(&v);
    let field = |k: &str| err.get(k).and_then(|x| x.as_str()).unwrap_or("");
    let kind = known_error_type(field("type")).or_else(|| known_error_type(field("code")));
    let s = format!("{} {}", field("type"), field("message"));
    (kind, s.trim().chars().take(200).collect())
}
