//! LLM backends: Anthropic Messages, Anthropic Message Batches, OpenAI-compatible chat
//! completions. All three send the same redacted rendering (`render`) with the same prompts
//! (`spec`), validate answers against the rubric's labels, and share one persistent cache, so
//! a re-run never pays for a call twice.
//!
//! Per session: ten transcript calls (nine facets and the job posting), then one pricing call
//! that reads only the posting. The first transcript call is sent alone so providers that cache
//! prompt prefixes (Anthropic `cache_control`, vLLM prefix caching) can reuse the transcript for
//! the other nine.

pub mod batch;
pub mod estimate;
pub mod gate;
pub mod http;
pub mod meter;
pub mod spec;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agentstat_facets::{
    CodebaseRelation, Expertise, Label, Labels, Occupation, Outcome, Provenance, Signal, TaskValue,
    UserProfile, ValueBand, WorkMode,
};
use serde_json::{json, Value};

use crate::cache::Cache;
use crate::{Backend, ClassifyError, SessionInput};
pub use batch::BatchBackend;
pub use http::RetryPolicy;
use http::{Http, HttpError};
use spec::{Answer, Classifier, Job, PREAMBLE};

/// Default Anthropic model.
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-sonnet-4-5";
/// Default model for OpenAI's own API (local servers must name theirs).
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4.1-mini";
/// The study's sampling temperature.
pub const TEMPERATURE: f64 = 0.2;
const ANTHROPIC_VERSION: &str = "2023-06-01";
const TOOL: &str = "record_answer";

/// Settings shared by the LLM backends.
#[derive(Debug, Clone)]
pub struct LlmOptions {
    /// Model id; each backend has a default.
    pub model: Option<String>,
    /// API base URL; defaults to `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL`, then the provider's.
    pub base_url: Option<String>,
    /// API key; defaults to `ANTHROPIC_API_KEY` / `OPENAI_API_KEY`.
    pub api_key: Option<String>,
    /// Where answers are cached (and the batch state is kept).
    pub cache_dir: PathBuf,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Batch only: time between status polls.
    pub poll_interval: Duration,
    /// Batch only: stop waiting after this long (the batch keeps running; a later run resumes
    /// it from the state file). `None` waits until it ends.
    pub give_up_after: Option<Duration>,
    /// Replies longer than this many bytes fail at once (never retried); enforced while reading.
    pub max_reply_bytes: u64,
    /// The whole run's deadline, from when the backend is built: no call starts and no retry
    /// waits past it; the labels not produced by then are recorded as failed (not cached).
    pub deadline: Option<Duration>,
    /// Each session's deadline, from when its classification starts.
    pub session_deadline: Option<Duration>,
}

impl LlmOptions {
    pub fn new(cache_dir: impl Into<PathBuf>) -> LlmOptions {
        LlmOptions {
            model: None,
            base_url: None,
            api_key: None,
            cache_dir: cache_dir.into(),
            concurrency: 4,
            timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            poll_interval: Duration::from_secs(30),
            give_up_after: None,
            max_reply_bytes: http::DEFAULT_MAX_REPLY_BYTES,
            deadline: None,
            session_deadline: None,
        }
    }

    /// The HTTP client these options describe.
    pub(crate) fn http(&self) -> Http {
        let mut h = Http::new(self.timeout, self.concurrency, self.retry.clone());
        h.max_reply = self.max_reply_bytes;
        h.run_deadline = self.deadline.map(|d| Instant::now() + d);
        h
    }
}

/// The default cache directory: `$AGENTSTAT_CACHE_DIR`, else `$XDG_CACHE_HOME/agentstat/llm`,
/// else `~/.cache/agentstat/llm`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("AGENTSTAT_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("agentstat").join("llm");
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    home.map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".cache/agentstat/llm")
}

fn env_nonempty(k: &str) -> Option<String> {
    std::env::var(k)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn open_cache(opts: &LlmOptions) -> Result<Cache, ClassifyError> {
    Cache::open(&opts.cache_dir).map_err(|e| {
        ClassifyError(format!(
            "cannot create cache directory {}: {e}",
            opts.cache_dir.display()
        ))
    })
}

pub(crate) struct AnthropicConn {
    pub base: String,
    pub key: String,
}

impl AnthropicConn {
    fn from_opts(opts: &LlmOptions) -> Result<AnthropicConn, ClassifyError> {
        let key = opts
            .api_key
            .clone()
            .or_else(|| env_nonempty("ANTHROPIC_API_KEY"))
            .ok_or_else(|| {
                ClassifyError(
                    "ANTHROPIC_API_KEY is not set: export your Anthropic API key, or use \
                     `--classifier heuristic` to classify offline"
                        .into(),
                )
            })?;
        let base = opts
            .base_url
            .clone()
            .or_else(|| env_nonempty("ANTHROPIC_BASE_URL"))
            .unwrap_or_else(|| "https://api.anthropic.com".into());
        Ok(AnthropicConn {
            base: base.trim_end_matches('/').to_string(),
            key,
        })
    }
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("x-api-key", self.key.clone()),
            ("anthropic-version", ANTHROPIC_VERSION.into()),
        ]
    }
}

/// Anthropic Messages API backend.
pub fn anthropic_backend(opts: &LlmOptions) -> Result<LlmBackend, ClassifyError> {
    let conn = AnthropicConn::from_opts(opts)?;
    let model = opts
        .model
        .clone()
        .unwrap_or_else(|| DEFAULT_ANTHROPIC_MODEL.into());
    let http = Arc::new(opts.http());
    Ok(LlmBackend {
        name: "anthropic",
        session_deadline: opts.session_deadline,
        cache: open_cache(opts)?,
        wire: Box::new(AnthropicWire {
            conn,
            model: model.clone(),
            http: http.clone(),
        }),
        model,
        http,
    })
}

/// OpenAI-compatible chat-completions backend (OpenAI, vLLM, llama.cpp server, Ollama, …).
/// The key is optional for local servers but required for api.openai.com.
pub fn openai_backend(opts: &LlmOptions) -> Result<LlmBackend, ClassifyError> {
    let base = opts
        .base_url
        .clone()
        .or_else(|| env_nonempty("OPENAI_BASE_URL"))
        .unwrap_or_else(|| "https://api.openai.com/v1".into());
    let base = base.trim_end_matches('/').to_string();
    let key = opts
        .api_key
        .clone()
        .or_else(|| env_nonempty("OPENAI_API_KEY"));
    if key.is_none() && base.contains("api.openai.com") {
        return Err(ClassifyError(
            "OPENAI_API_KEY is not set: export it, or point --base-url / OPENAI_BASE_URL at a \
             local OpenAI-compatible server"
                .into(),
        ));
    }
    let model = opts
        .model
        .clone()
        .or_else(|| env_nonempty("OPENAI_MODEL"))
        .unwrap_or_else(|| DEFAULT_OPENAI_MODEL.into());
    let http = Arc::new(opts.http());
    Ok(LlmBackend {
        name: "openai",
        session_deadline: opts.session_deadline,
        cache: open_cache(opts)?,
        wire: Box::new(OpenAiWire {
            base,
            key,
            model: model.clone(),
            http: http.clone(),
        }),
        model,
        http,
    })
}

/// Anthropic Message Batches backend (half price, results within 24 hours, resumable).
pub fn batch_backend(opts: &LlmOptions) -> Result<BatchBackend, ClassifyError> {
    let conn = AnthropicConn::from_opts(opts)?;
    let model = opts
        .model
        .clone()
        .unwrap_or_else(|| DEFAULT_ANTHROPIC_MODEL.into());
    let http = opts.http();
    Ok(BatchBackend::new(
        conn,
        model,
        open_cache(opts)?,
        http,
        opts,
    ))
}

/// Why a call produced no usable answer.
pub(crate) enum CallError {
    /// The model answered, but not with a well-formed answer (no tool call, content that is
    /// not JSON): treated like an invalid answer, retried once, then recorded and cached.
    Malformed(String),
    /// The reply was not the API's reply at all (a body that is not JSON, empty, cut off, or
    /// lacks the API's envelope — a proxy's HTML page, a dropped connection): a transport
    /// fault, retried once and never cached.
    Protocol(String),
    Http(HttpError),
}

/// One wire format.
pub(crate) trait Wire: Send + Sync {
    fn call(&self, job: &Job, deadline: Option<Instant>) -> Result<Value, CallError>;
}

fn max_tokens(c: Classifier) -> u32 {
    match c {
        Classifier::Decisions => 3000,
        Classifier::JobPosting => 1000,
        _ => 600,
    }
}

/// The Messages API request for a job (also a batch request's `params`).
pub(crate) fn anthropic_params(job: &Job, model: &str) -> Value {
    json!({
        "model": model,
        "max_tokens": max_tokens(job.classifier),
        "temperature": TEMPERATURE,
        "system": PREAMBLE,
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": job.context, "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": job.instruction_text()}
        ]}],
        "tools": [{
            "name": TOOL,
            "description": "Record your answer to the measure.",
            "input_schema": job.classifier.schema()
        }],
        "tool_choice": {"type": "tool", "name": TOOL}
    })
}

/// The forced tool call's input from a Messages API response.
pub(crate) fn anthropic_answer(msg: &Value) -> Result<Value, String> {
    let content = msg
        .get("content")
        .and_then(Value::as_array)
        .ok_or("reply has no content")?;
    content
        .iter()
        .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        .and_then(|b| b.get("input"))
        .cloned()
        .ok_or_else(|| "reply has no tool call".to_string())
}

struct AnthropicWire {
    conn: AnthropicConn,
    model: String,
    http: Arc<Http>,
}

impl Wire for AnthropicWire {
    fn call(&self, job: &Job, deadline: Option<Instant>) -> Result<Value, CallError> {
        let body = anthropic_params(job, &self.model).to_string();
        let url = format!("{}/v1/messages", self.conn.base);
        let text = self
            .http
            .send_by("POST", &url, &self.conn.headers(), Some(&body), deadline)
            .map_err(CallError::Http)?;
        let v = reply_json(&text)?;
        if v.get("content").and_then(Value::as_array).is_none() {
            return Err(CallError::Protocol(
                "reply is not a Messages API reply".into(),
            ));
        }
        anthropic_answer(&v).map_err(CallError::Malformed)
    }
}

struct OpenAiWire {
    base: String,
    key: Option<String>,
    model: String,
    http: Arc<Http>,
}

/// The chat-completions request for a job.
pub(crate) fn openai_params(job: &Job, model: &str) -> Value {
    json!({
        "model": model,
        "temperature": TEMPERATURE,
        "max_tokens": max_tokens(job.classifier),
        "messages": [
            {"role": "system", "content": PREAMBLE},
            {"role": "user", "content": format!("{}\n\n{}", job.context, job.instruction_text())}
        ],
        "response_format": {"type": "json_schema", "json_schema": {
            "name": job.classifier.id(),
            "strict": true,
            "schema": job.classifier.schema()
        }}
    })
}

fn openai_answer(v: &Value) -> Result<Value, String> {
    let msg = v
        .get("choices")
        .and_then(|c| c.get(0))
        .and_then(|c| c.get("message"))
        .ok_or("reply has no choices[0].message")?;
    let content = msg
        .get("content")
        .and_then(Value::as_str)
        .ok_or("reply has no content")?;
    // Some local servers wrap JSON in a code fence despite the schema.
    let t = content.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .unwrap_or(t);
    let t = t.strip_suffix("```").unwrap_or(t).trim();
    serde_json::from_str(t).map_err(|_| "reply content is not valid JSON".to_string())
}

impl Wire for OpenAiWire {
    fn call(&self, job: &Job, deadline: Option<Instant>) -> Result<Value, CallError> {
        let body = openai_params(job, &self.model).to_string();
        let url = format!("{}/chat/completions", self.base);
        let headers: Vec<(&str, String)> = match &self.key {
            Some(k) => vec![("authorization", format!("Bearer {k}"))],
            None => vec![],
        };
        let text = self
            .http
            .send_by("POST", &url, &headers, Some(&body), deadline)
            .map_err(CallError::Http)?;
        let v = reply_json(&text)?;
        if v.pointer("/choices/0/message").is_none() {
            return Err(CallError::Protocol(
                "reply is not a chat-completions reply".into(),
            ));
        }
        openai_answer(&v).map_err(CallError::Malformed)
    }
}

/// The reply body as JSON: empty, cut-off or non-JSON bodies are protocol faults.
fn reply_json(text: &str) -> Result<Value, CallError> {
    if text.trim().is_empty() {
        return Err(CallError::Protocol("empty reply".into()));
    }
    serde_json::from_str(text).map_err(|e| {
        CallError::Protocol(if e.is_eof() {
            "reply cut off".into()
        } else {
            "reply is not valid JSON".into()
        })
    })
}

/// A failed job: `Label` errors are recorded on the label; `Session` errors (the cache cannot
/// be written) stop the session, since carrying on would pay for calls again on every run.
pub(crate) enum JobFail {
    Label(String),
    Session(String),
}

pub(crate) fn cache_put(cache: &Cache, key: &str, a: &Answer) -> Result<(), JobFail> {
    cache.put(key, a).map_err(|e| {
        JobFail::Session(format!(
            "cannot write cache entry in {}: {e}",
            cache.dir().display()
        ))
    })
}

/// A synchronous LLM backend (Anthropic Messages or OpenAI-compatible).
pub struct LlmBackend {
    name: &'static str,
    session_deadline: Option<Duration>,
    model: String,
    wire: Box<dyn Wire>,
    cache: Cache,
    http: Arc<Http>,
}

impl LlmBackend {
    pub fn model(&self) -> &str {
        &self.model
    }

    /// HTTP requests sent so far (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.http.requests.load(Ordering::Relaxed)
    }

    /// The shared back-off gate (rate limits met, requests allowed in flight now).
    pub fn gate(&self) -> &gate::Gate {
        &self.http.gate
    }

    /// Calls, cache hits, tokens and failures so far (for progress lines).
    pub fn meter(&self) -> Arc<meter::Meter> {
        self.http.meter.clone()
    }

    fn run_job(&self, job: &Job, deadline: Option<Instant>) -> Result<Answer, JobFail> {
        if let Some(a) = self.cache.get::<Answer>(&job.key) {
            self.http.meter.cache_hit();
            return Ok(a);
        }
        let mut job = job.clone();
        let mut last = String::new();
        let mut protocol = false;
        for _ in 0..2 {
            match self.wire.call(&job, deadline) {
                Ok(v) => match job.classifier.validate(&v) {
                    Ok(a) => {
                        cache_put(&self.cache, &job.key, &a)?;
                        return Ok(a);
                    }
                    Err(e) => (last, protocol) = (e, false),
                },
                Err(CallError::Malformed(e)) => (last, protocol) = (e, false),
                Err(CallError::Protocol(e)) => {
                    // Not the model's answer: asked again, and never cached.
                    (last, protocol) = (e, true);
                    continue;
                }
                Err(CallError::Http(e)) => {
                    self.http.meter.error();
                    // The label gets our own words; the provider's message (which may echo
                    // the request) goes to local stderr only.
                    e.log(&format!("{} {} call", self.name, job.classifier.id()));
                    return Err(JobFail::Label(format!("{}: {e}", self.name)));
                }
            }
            job.retry_note = Some(last.clone());
        }
        if protocol {
            eprintln!(
                "agentstat: {} {} call: {last} (twice; not cached, a re-run asks again)",
                self.name,
                job.classifier.id()
            );
            return Err(JobFail::Label(format!("{}: {last}", self.name)));
        }
        let a = Answer::Invalid {
            error: format!("invalid answer twice: {last}"),
        };
        cache_put(&self.cache, &job.key, &a)?;
        Ok(a)
    }

    fn run_all(&self, jobs: &[Job], deadline: Option<Instant>) -> Vec<Result<Answer, JobFail>> {
        let Some((first, rest)) = jobs.split_first() else {
            return Vec::new();
        };
        let mut out = vec![self.run_job(first, deadline)];
        std::thread::scope(|s| {
            let handles: Vec<_> = rest
                .iter()
                .map(|j| s.spawn(move || self.run_job(j, deadline)))
                .collect();
            for h in handles {
                out.push(h.join().unwrap_or_else(|_| {
                    Err(JobFail::Label(
                        "internal error: classifier thread panicked".into(),
                    ))
                }));
            }
        });
        out
    }
}

impl Backend for LlmBackend {
    fn name(&self) -> &str {
        self.name
    }

    fn progress(&self) -> Option<String> {
        let s = self.http.stats();
        Some(format!(
            "{} requests, {} in flight, {} retries, {} s waited on backoff",
            s.requests, s.in_flight, s.retries, s.waited_secs
        ))
    }

    fn classify(&self, input: &SessionInput) -> Result<Labels, ClassifyError> {
        let rendering = crate::render::render(input.session);
        let jobs: Vec<Job> = Classifier::TRANSCRIPT
            .iter()
            .map(|c| Job::transcript(*c, &rendering.text, &self.model))
            .collect();
        let deadline = self.session_deadline.map(|d| Instant::now() + d);
        let mut answers: HashMap<Classifier, Result<Answer, String>> = HashMap::new();
        for (job, res) in jobs.iter().zip(self.run_all(&jobs, deadline)) {
            answers.insert(job.classifier, lift(res)?);
        }
        let price = match answers.get(&Classifier::JobPosting) {
            Some(Ok(a)) => a.posting_text(),
            _ => None,
        };
        if let Some(posting) = price {
            let job = Job::price(&posting, &self.model);
            answers.insert(Classifier::Price, lift(self.run_job(&job, deadline))?);
        }
        Ok(assemble(&answers, self.name, &self.model))
    }
}

fn lift(r: Result<Answer, JobFail>) -> Result<Result<Answer, String>, ClassifyError> {
    match r {
        Ok(a) => Ok(Ok(a)),
        Err(JobFail::Label(e)) => Ok(Err(e)),
        Err(JobFail::Session(e)) => Err(ClassifyError(e)),
    }
}

/// Build `Labels` from per-classifier answers; anything missing or invalid becomes a recorded
/// classification error, never a default.
pub(crate) fn assemble(
    answers: &HashMap<Classifier, Result<Answer, String>>,
    backend: &str,
    model: &str,
) -> Labels {
    let prov = |c: Classifier| Provenance {
        backend: backend.to_string(),
        model: model.to_string(),
        prompt_version: c.version(),
    };
    fn label<T>(
        answers: &HashMap<Classifier, Result<Answer, String>>,
        c: Classifier,
        prov: &dyn Fn(Classifier) -> Provenance,
        parse: fn(&str) -> Option<T>,
    ) -> Label<T> {
        // Provenance is derived from the classifier, so the two can never disagree.
        let p = prov(c);
        match answers.get(&c) {
            Some(Ok(Answer::Label { label })) => match parse(label) {
                Some(v) => Label::ok(v, p),
                None => Label::failed("cached label is not an allowed option", p),
            },
            Some(Ok(Answer::Invalid { error })) => Label::failed(error.clone(), p),
            Some(Err(e)) => Label::failed(e.clone(), p),
            Some(Ok(_)) => Label::failed("answer of the wrong kind", p),
            None => Label::failed("no answer", p),
        }
    }
    let decisions = match answers.get(&Classifier::Decisions) {
        Some(Ok(Answer::Decisions { counts })) => Label::ok(*counts, prov(Classifier::Decisions)),
        Some(Ok(Answer::Invalid { error })) => {
            Label::failed(error.clone(), prov(Classifier::Decisions))
        }
        Some(Err(e)) => Label::failed(e.clone(), prov(Classifier::Decisions)),
        _ => Label::failed("no answer", prov(Classifier::Decisions)),
    };
    let value_prov = Provenance {
        prompt_version: format!(
            "{}|{}",
            Classifier::JobPosting.version(),
            Classifier::Price.version()
        ),
        ..prov(Classifier::Price)
    };
    let task_value = match (
        answers.get(&Classifier::JobPosting),
        answers.get(&Classifier::Price),
    ) {
        (Some(Ok(Answer::Posting { .. })), Some(Ok(Answer::Usd { usd }))) => Label::ok(
            TaskValue {
                usd: *usd,
                band: ValueBand::of_usd(*usd),
            },
            value_prov,
        ),
        (Some(Ok(Answer::Posting { .. })), Some(Ok(Answer::Invalid { error }))) => {
            Label::failed(format!("price: {error}"), value_prov)
        }
        (Some(Ok(Answer::Posting { .. })), Some(Err(e))) => {
            Label::failed(format!("price: {e}"), value_prov)
        }
        (Some(Ok(Answer::Invalid { error })), _) => {
            Label::failed(format!("job posting: {error}"), value_prov)
        }
        (Some(Err(e)), _) => Label::failed(format!("job posting: {e}"), value_prov),
        _ => Label::failed("no answer", value_prov),
    };
    Labels {
        work_mode: label(answers, Classifier::WorkMode, &prov, WorkMode::parse),
        codebase_relation: label(
            answers,
            Classifier::CodebaseRelation,
            &prov,
            CodebaseRelation::parse,
        ),
        decisions,
        expertise: label(answers, Classifier::Expertise, &prov, Expertise::parse),
        user_profile: label(answers, Classifier::UserProfile, &prov, UserProfile::parse),
        work_performed: label(answers, Classifier::WorkPerformed, &prov, Occupation::parse),
        outcome: label(answers, Classifier::Outcome, &prov, Outcome::parse),
        success_signal: label(answers, Classifier::SuccessSignal, &prov, Signal::parse),
        failure_signal: label(answers, Classifier::FailureSignal, &prov, Signal::parse),
        task_value,
    }
}
