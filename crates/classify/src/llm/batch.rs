//! Anthropic Message Batches backend: submit every uncached call in one batch (per round),
//! poll until it ends, fetch the results by `custom_id` (= the cache key), validate and cache.
//!
//! Resumable: submitted batch ids and their pending custom ids are written to
//! `<cache_dir>/batch-state.json` right after submission. A process that dies while waiting
//! leaves the state behind; the next run finds its calls pending there and polls the existing
//! batch instead of submitting (and paying) again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use agentstat_facets::Labels;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::http::{known_error_type, Http};
use super::spec::{Answer, Classifier, Job};
use super::{
    anthropic_answer, anthropic_params, assemble, cache_put, AnthropicConn, JobFail, LlmOptions,
};
use crate::cache::Cache;
use crate::{Backend, ClassifyError, SessionInput};

/// Requests per submitted batch (the API allows up to 100,000 and 256 MB).
const MAX_PER_BATCH: usize = 5_000;
/// Submissions of one call before giving up on it (expired, canceled or server-errored).
const MAX_SUBMISSIONS: u32 = 3;

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    batches: Vec<BatchRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct BatchRecord {
    id: String,
    submitted_at_ms: i64,
    /// custom id (cache key) → what was asked.
    requests: BTreeMap<String, Pending>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    classifier: Classifier,
    /// 0 for the first submission; 1 after an invalid answer (the one retry).
    answer_attempt: u32,
    /// How many times this call has been submitted.
    submissions: u32,
}

/// The Message Batches backend. Use [`Backend::prepare`] over all sessions first so every call
/// goes into a few large batches; `classify` then reads the cache.
pub struct BatchBackend {
    conn: AnthropicConn,
    model: String,
    cache: Cache,
    http: Http,
    state_path: PathBuf,
    poll_interval: Duration,
    give_up_after: Option<Duration>,
    /// Serialises runs within one process (the state file has one writer).
    lock: Mutex<()>,
}

impl BatchBackend {
    pub(crate) fn new(
        conn: AnthropicConn,
        model: String,
        cache: Cache,
        http: Http,
        opts: &LlmOptions,
    ) -> BatchBackend {
        let state_path = cache.dir().join("batch-state.json");
        BatchBackend {
            conn,
            model,
            cache,
            http,
            state_path,
            poll_interval: opts.poll_interval,
            give_up_after: opts.give_up_after,
            lock: Mutex::new(()),
        }
    }

    /// HTTP calls, tokens and failures so far (for progress lines).
    pub fn meter(&self) -> std::sync::Arc<super::meter::Meter> {
        self.http.meter.clone()
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// HTTP requests sent so far (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.http.requests.load(Ordering::Relaxed)
    }

    /// Classify many sessions: one batch round for the transcript calls, one for pricing.
    pub fn classify_many(&self, inputs: &[SessionInput]) -> Result<Vec<Labels>, ClassifyError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let renderings: Vec<String> = inputs
            .iter()
            .map(|i| crate::render::render(i.session).text)
            .collect();
        let round1: Vec<Vec<Job>> = renderings
            .iter()
            .map(|r| {
                Classifier::TRANSCRIPT
                    .iter()
                    .map(|c| Job::transcript(*c, r, &self.model))
                    .collect()
            })
            .collect();
        let mut answers = self.run_jobs(round1.iter().flatten().cloned().collect())?;
        let round2: Vec<Option<Job>> = round1
            .iter()
            .map(|jobs| {
                let posting = jobs
                    .iter()
                    .find(|j| j.classifier == Classifier::JobPosting)?;
                match answers.get(&posting.key) {
                    Some(Ok(a)) => a.posting_text().map(|p| Job::price(&p, &self.model)),
                    _ => None,
                }
            })
            .collect();
        answers.extend(self.run_jobs(round2.iter().flatten().cloned().collect())?);
        Ok(round1
            .iter()
            .zip(&round2)
            .map(|(jobs, price)| {
                let mut by_classifier = HashMap::new();
                for j in jobs.iter().chain(price.iter()) {
                    if let Some(a) = answers.get(&j.key) {
                        by_classifier.insert(j.classifier, a.clone());
                    }
                }
                assemble(&by_classifier, "anthropic-batch", &self.model)
            })
            .collect())
    }

    fn load_state(&self) -> Result<State, ClassifyError> {
        match std::fs::read(&self.state_path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                ClassifyError(format!(
                    "{}: unreadable batch state ({e}); fix or delete it (pending batches would \
                     then be submitted again)",
                    self.state_path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(ClassifyError(format!("{}: {e}", self.state_path.display()))),
        }
    }

    fn save_state(&self, s: &State) -> Result<(), ClassifyError> {
        let tmp = self.state_path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(s).map_err(|e| ClassifyError(e.to_string()))?;
        std::fs::write(&tmp, bytes)
            .and_then(|_| std::fs::rename(&tmp, &self.state_path))
            .map_err(|e| ClassifyError(format!("{}: {e}", self.state_path.display())))
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/messages/batches{path}", self.conn.base)
    }

    /// Answers for `jobs` by cache key: from the cache, from batches already pending in the
    /// state file, or from new batches.
    fn run_jobs(
        &self,
        jobs: Vec<Job>,
    ) -> Result<HashMap<String, Result<Answer, String>>, ClassifyError> {
        let mut results = HashMap::new();
        let mut todo: HashMap<String, Job> = HashMap::new();
        for j in jobs {
            if results.contains_key(&j.key) || todo.contains_key(&j.key) {
                continue;
            }
            match self.cache.get::<Answer>(&j.key) {
                Some(a) => {
                    results.insert(j.key.clone(), Ok(a));
                }
                None => {
                    todo.insert(j.key.clone(), j);
                }
            }
        }
        // Per call: (answer attempt, submissions) for calls that must be sent again.
        let mut resubmit: HashMap<String, (u32, u32)> = HashMap::new();
        let started = Instant::now();
        while !todo.is_empty() {
            let mut state = self.load_state()?;
            let pending: HashSet<&String> = state
                .batches
                .iter()
                .flat_map(|b| b.requests.keys())
                .collect();
            let mut fresh: Vec<&Job> = todo
                .values()
                .filter(|j| !pending.contains(&j.key))
                .collect();
            fresh.sort_by(|a, b| a.key.cmp(&b.key));
            for chunk in fresh.chunks(MAX_PER_BATCH) {
                let record = self.submit(chunk, &resubmit)?;
                state.batches.push(record);
                self.save_state(&state)?;
            }
            // Poll every pending batch once; process those that ended.
            let mut ended_any = false;
            let ids: Vec<String> = state.batches.iter().map(|b| b.id.clone()).collect();
            for id in ids {
                let status = match self.http.send(
                    "GET",
                    &self.url(&format!("/{id}")),
                    &self.conn.headers(),
                    None,
                ) {
                    Ok(text) => serde_json::from_str::<Value>(&text).map_err(|_| {
                        ClassifyError("anthropic-batch: status reply is not JSON".into())
                    })?,
                    // The batch is gone (deleted, or state from another account): forget it;
                    // its calls are submitted again below.
                    Err(super::http::HttpError::Status { status: 404, .. }) => {
                        state.batches.retain(|b| b.id != id);
                        self.save_state(&state)?;
                        ended_any = true;
                        continue;
                    }
                    Err(e) => {
                        e.log("anthropic-batch: polling");
                        return Err(ClassifyError(format!("anthropic-batch: polling: {e}")));
                    }
                };
                if status.get("processing_status").and_then(Value::as_str) != Some("ended") {
                    continue;
                }
                ended_any = true;
                let Some(pos) = state.batches.iter().position(|b| b.id == id) else {
                    continue;
                };
                let record = state.batches[pos].clone();
                let results_url = match status.get("results_url").and_then(Value::as_str) {
                    // Never send the key to a host other than the configured API.
                    Some(u) if u.starts_with(&self.conn.base) => u.to_string(),
                    _ => self.url(&format!("/{id}/results")),
                };
                let body = self
                    .http
                    .send("GET", &results_url, &self.conn.headers(), None)
                    .map_err(|e| {
                        e.log(&format!("anthropic-batch: batch {id} results"));
                        ClassifyError(format!("anthropic-batch: batch {id} results: {e}"))
                    })?;
                let mut seen = HashSet::new();
                for line in body.lines().filter(|l| !l.trim().is_empty()) {
                    let Ok(v) = serde_json::from_str::<Value>(line) else {
                        continue;
                    };
                    let Some(cid) = v.get("custom_id").and_then(Value::as_str) else {
                        continue;
                    };
                    let Some(p) = record.requests.get(cid) else {
                        continue;
                    };
                    seen.insert(cid.to_string());
                    let outcome = self.handle_result(cid, p, v.get("result"));
                    self.settle(cid, p, outcome, &mut todo, &mut results, &mut resubmit)?;
                }
                for (cid, p) in &record.requests {
                    if !seen.contains(cid) {
                        let outcome = Outcome::Resubmit("result missing from batch output".into());
                        self.settle(cid, p, outcome, &mut todo, &mut results, &mut resubmit)?;
                    }
                }
                state.batches.remove(pos);
                self.save_state(&state)?;
            }
            if todo.is_empty() {
                break;
            }
            // Calls pending in no batch (to resubmit) are sent on the next turn without waiting.
            let state = self.load_state()?;
            let pending: HashSet<&String> = state
                .batches
                .iter()
                .flat_map(|b| b.requests.keys())
                .collect();
            let waiting = todo.keys().all(|k| pending.contains(k));
            if waiting && !ended_any {
                if let Some(limit) = self.give_up_after {
                    if started.elapsed() >= limit {
                        return Err(ClassifyError(format!(
                            "batch still processing after {:?}; run again to resume (state in {})",
                            limit,
                            self.state_path.display()
                        )));
                    }
                }
                std::thread::sleep(self.poll_interval);
            }
        }
        Ok(results)
    }

    fn submit(
        &self,
        jobs: &[&Job],
        resubmit: &HashMap<String, (u32, u32)>,
    ) -> Result<BatchRecord, ClassifyError> {
        let mut requests = BTreeMap::new();
        let items: Vec<Value> = jobs
            .iter()
            .map(|j| {
                let (answer_attempt, subs) = resubmit.get(&j.key).copied().unwrap_or((0, 0));
                requests.insert(
                    j.key.clone(),
                    Pending {
                        classifier: j.classifier,
                        answer_attempt,
                        submissions: subs + 1,
                    },
                );
                json!({"custom_id": j.key, "params": anthropic_params(j, &self.model)})
            })
            .collect();
        let body = json!({ "requests": items }).to_string();
        let text = self
            .http
            .send("POST", &self.url(""), &self.conn.headers(), Some(&body))
            .map_err(|e| {
                e.log("anthropic-batch: submitting a batch");
                ClassifyError(format!("anthropic-batch: submitting a batch: {e}"))
            })?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|_| ClassifyError("anthropic-batch: submission reply is not JSON".into()))?;
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
            .ok_or_else(|| {
                ClassifyError("anthropic-batch: submission reply has no batch id".into())
            })?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Ok(BatchRecord {
            id: id.to_string(),
            submitted_at_ms: now,
            requests,
        })
    }

    fn handle_result(&self, _cid: &str, p: &Pending, result: Option<&Value>) -> Outcome {
        let Some(r) = result else {
            return Outcome::Resubmit("result has no body".into());
        };
        match r.get("type").and_then(Value::as_str) {
            Some("succeeded") => {
                // A result without a Messages reply in it is a protocol fault, not the model's
                // answer: asked again (never cached as an invalid answer).
                let Some(msg) = r
                    .get("message")
                    .filter(|m| m.get("content").and_then(Value::as_array).is_some())
                else {
                    return Outcome::Resubmit("result has no message".into());
                };
                let answer = anthropic_answer(msg);
                match answer.and_then(|v| p.classifier.validate(&v)) {
                    Ok(a) => Outcome::Answer(a),
                    Err(e) => Outcome::Invalid(e),
                }
            }
            Some("errored") => {
                // The error object is the provider's: only a known type reaches the label; the
                // message (which may echo the request) goes to local stderr, redacted.
                let raw = r
                    .pointer("/error/error/type")
                    .or_else(|| r.pointer("/error/type"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let msg = r
                    .pointer("/error/error/message")
                    .or_else(|| r.pointer("/error/message"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let kind = known_error_type(raw);
                let shown = kind.unwrap_or("unknown error type");
                if !msg.is_empty() || kind.is_none() {
                    let detail: String = format!("{raw} {msg}").trim().chars().take(200).collect();
                    eprintln!(
                        "agentstat: anthropic-batch {} call errored ({shown}); provider said: {}",
                        p.classifier.id(),
                        agentstat_redact::redact(&detail).text
                    );
                }
                if kind == Some("invalid_request_error") {
                    Outcome::Failed(format!("anthropic-batch: request errored ({shown})"))
                } else {
                    Outcome::Resubmit(format!("request errored ({shown})"))
                }
            }
            // Only the API's own result types are named; anything else is not echoed.
            Some(t @ ("canceled" | "expired")) => Outcome::Resubmit(format!("request {t}")),
            Some(_) => Outcome::Resubmit("result of unknown type".into()),
            None => Outcome::Resubmit("result has no type".into()),
        }
    }

    fn settle(
        &self,
        cid: &str,
        p: &Pending,
        outcome: Outcome,
        todo: &mut HashMap<String, Job>,
        results: &mut HashMap<String, Result<Answer, String>>,
        resubmit: &mut HashMap<String, (u32, u32)>,
    ) -> Result<(), ClassifyError> {
        let fail = |e: JobFail| match e {
            JobFail::Session(s) | JobFail::Label(s) => ClassifyError(s),
        };
        let done = |todo: &mut HashMap<String, Job>,
                    results: &mut HashMap<String, Result<Answer, String>>,
                    r: Result<Answer, String>| {
            todo.remove(cid);
            results.insert(cid.to_string(), r);
        };
        match outcome {
            Outcome::Answer(a) => {
                cache_put(&self.cache, cid, &a).map_err(fail)?;
                done(todo, results, Ok(a));
            }
            Outcome::Invalid(e) if p.answer_attempt == 0 && todo.contains_key(cid) => {
                if let Some(j) = todo.get_mut(cid) {
                    j.retry_note = Some(e);
                }
                resubmit.insert(cid.to_string(), (1, p.submissions));
            }
            Outcome::Invalid(e) => {
                let a = Answer::Invalid {
                    error: format!("invalid answer twice: {e}"),
                };
                cache_put(&self.cache, cid, &a).map_err(fail)?;
                done(todo, results, Ok(a));
            }
            Outcome::Resubmit(e) if p.submissions < MAX_SUBMISSIONS && todo.contains_key(cid) => {
                let _ = e;
                resubmit.insert(cid.to_string(), (p.answer_attempt, p.submissions));
            }
            Outcome::Resubmit(e) => {
                if todo.contains_key(cid) {
                    let msg = format!("anthropic-batch: {e} after {} submission(s)", p.submissions);
                    done(todo, results, Err(msg));
                }
            }
            Outcome::Failed(e) => {
                if todo.contains_key(cid) {
                    done(todo, results, Err(e));
                }
            }
        }
        Ok(())
    }
}

enum Outcome {
    Answer(Answer),
    Invalid(String),
    Resubmit(String),
    Failed(String),
}

impl Backend for BatchBackend {
    fn name(&self) -> &str {
        "anthropic-batch"
    }

    fn classify(&self, input: &SessionInput) -> Result<Labels, ClassifyError> {
        let mut v = self.classify_many(std::slice::from_ref(input))?;
        v.pop()
            .ok_or_else(|| ClassifyError("internal error: no labels".into()))
    }

    fn prepare(&self, inputs: &[SessionInput]) -> Result<(), ClassifyError> {
        self.classify_many(inputs).map(|_| ())
    }
}
