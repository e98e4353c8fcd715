//! Plant secrets and personal data in every part of a session, run the rendering and all three
//! LLM backends against loopback servers, and prove none of it reaches a request (body or
//! headers), a label, an error message, the cache or the batch state.

mod llm_support;

use agentstat_classify::llm::{anthropic_backend, batch_backend, openai_backend};
use agentstat_classify::render::render;
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::Telemetry;
use agentstat_session::*;
use llm_support::*;
use serde_json::json;

const USER: &str = "mgonzalez";

/// (the secret, text that carries it)
fn planted() -> Vec<(&'static str, String)> {
    let ant = "sk-ant-api03-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm-_Qa1Ws2Ed3Rf4Tg5Yh6Uj7Ik8Ol9P0";
    let pk = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
    vec![
        (ant, format!("export ANTHROPIC_API_KEY={ant}")),
        ("sk-proj-Qm3N8v2LkP0xT7rW5yZ1aB4cD6eF9gH2", "key sk-proj-Qm3N8v2LkP0xT7rW5yZ1aB4cD6eF9gH2 ok".into()),
        ("ghp_R8s7T6u5V4w3X2y1Z0a9B8c7D6e5F4g3H2i1", "git remote set-url https://ghp_R8s7T6u5V4w3X2y1Z0a9B8c7D6e5F4g3H2i1@github.com/o/r".into()),
        ("glpat-Ab3De5Gh7Jk9Mn1Pq3St", "GITLAB glpat-Ab3De5Gh7Jk9Mn1Pq3St".into()),
        ("xoxb-2748392012-8473629103-Xy7Zq2Wv9Lk", "slack xoxb-2748392012-8473629103-Xy7Zq2Wv9Lk".into()),
        ("AKIA2E0A8F3B244C9986", "aws_access_key_id = AKIA2E0A8F3B244C9986".into()),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9kEy1234", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9kEy1234".into()),
        ("AIzaSyD3x9Kq2Lm7Np4Rs8Tv1Wx5Yz0Ab6Cd2Ef", "maps key AIzaSyD3x9Kq2Lm7Np4Rs8Tv1Wx5Yz0Ab6Cd2Ef".into()),
        ("sk_live_51H8xYz2eZvKYlo2C9q8W7e6R", "stripe sk_live_51H8xYz2eZvKYlo2C9q8W7e6R".into()),
        ("hf_Kq8Lm2Np4Rs6Tv8Wx0Yz2Ab4Cd6Ef8Gh0Ij", "HF hf_Kq8Lm2Np4Rs6Tv8Wx0Yz2Ab4Cd6Ef8Gh0Ij".into()),
        ("npm_Zq8Xw7Ev6Rb5Tn4Ym3Uk2Il1Op0As9Df8Gh7", "//registry.npmjs.org/:_authToken=npm_Zq8Xw7Ev6Rb5Tn4Ym3Uk2Il1Op0As9Df8Gh7".into()),
        (pk, format!("-----BEGIN PRIVATE KEY-----\n{pk}\nAbCdEf==\n-----END PRIVATE KEY-----")),
        ("Sup3rS3cret", "DATABASE_URL=postgres://admin:Sup3rS3cret@db.internal:5432/prod".into()),
        (
            "eyJzdWIiOiI0MjQyIiwibmFtZSI6Ik1hcmlhIn0",
            "cookie eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIiwibmFtZSI6Ik1hcmlhIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ".into(),
        ),
        ("maria.gonzalez@acme-corp.com", "mail maria.gonzalez@acme-corp.com please".into()),
        ("203.0.113.77", "ssh deploy@203.0.113.77".into()),
        ("2001:db8:abcd:12::7", "listen [2001:db8:abcd:12::7]:80".into()),
        ("415 555 0199", "call me at +1 415 555 0199".into()),
        ("(212) 555-0143", "office (212) 555-0143".into()),
        ("hunter2hunter2", "password: \"hunter2hunter2\"".into()),
        (USER, format!("cd /Users/{USER}/work/app && ls C:\\Users\\{USER}\\Desktop")),
    ]
}

fn planted_session() -> Session {
    let p = planted();
    let mut events = Vec::new();
    for (i, (_, text)) in p.iter().enumerate() {
        let ev = match i % 5 {
            0 => Event::Human(HumanTurn {
                text: format!("please look at this: {text}"),
                ..Default::default()
            }),
            1 => Event::AssistantText(AssistantText {
                text: format!("I see {text}"),
                ..Default::default()
            }),
            2 => Event::Action(Action {
                id: format!("t{i}"),
                tool: "Bash".into(),
                kind: ActionKind::Shell,
                input: json!({"command": text}).into(),
                timestamp: None,
                subagent: None,
                result: ActionResult {
                    status: ResultStatus::Error,
                    output: format!("failed: {text}"),
                    ..Default::default()
                },
            }),
            3 => Event::System(SystemNote {
                kind: "hook".into(),
                text: text.clone(),
                timestamp: None,
            }),
            _ => Event::Action(Action {
                id: format!("t{i}"),
                tool: "Grep".into(),
                kind: ActionKind::Search,
                input: json!({"pattern": text, "path": format!("/Users/{USER}/work/app/src")})
                    .into(),
                timestamp: None,
                subagent: None,
                result: ActionResult {
                    status: ResultStatus::Ok,
                    output: text.clone(),
                    ..Default::default()
                },
            }),
        };
        events.push(ev);
    }
    events.push(Event::Action(Action {
        id: "w".into(),
        tool: "Write".into(),
        kind: ActionKind::Write,
        input: json!({"file_path": format!("/Users/{USER}/work/app/.env"), "content": "x"}).into(),
        timestamp: None,
        subagent: None,
        result: ActionResult::default(),
    }));
    events.push(Event::Human(HumanTurn {
        text: format!("thanks, signed {USER}"),
        ..Default::default()
    }));
    Session {
        id: "planted".into(),
        project: Some(format!("/Users/{USER}/work/app")),
        events,
        ..Default::default()
    }
}

fn assert_clean(what: &str, text: &str) {
    for (secret, _) in planted() {
        assert!(
            !text.contains(secret),
            "{what} leaks a planted secret ({} chars)",
            secret.len()
        );
    }
    assert!(
        !text.to_lowercase().contains(USER),
        "{what} leaks the user name"
    );
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned());
            }
        }
    }
    out
}

#[test]
fn rendering_carries_no_planted_secret() {
    let s = planted_session();
    let r = render(&s);
    assert_clean("rendering", &r.text);
    assert!(
        r.redactions.total() >= planted().len() as u32,
        "{:?}",
        r.redactions
    );
    assert!(r.text.contains("[REDACTED:openai_key]") && r.text.contains("/Users/<user>/"));
}

#[test]
fn no_planted_secret_reaches_any_request_label_log_or_cache() {
    let s = planted_session();
    let t = Telemetry::default();
    let inp = SessionInput {
        session: &s,
        telemetry: &t,
    };

    // Anthropic and OpenAI servers that also echo a piece of the request into an error once,
    // so error messages are exercised too.
    let server = Server::start(|req, i| {
        let v = req.json();
        if i == 0 {
            let echo: String = req.body.chars().take(300).collect();
            return Reply::json(
                400,
                &json!({"error": {"type": "invalid_request_error", "message": echo}}),
            );
        }
        if req.path.ends_with("/chat/completions") {
            let a = good_answer(&v["response_format"]["json_schema"]["schema"]);
            return Reply::json(200, &openai_reply(&a.to_string()));
        }
        Reply::json(
            200,
            &anthropic_reply(good_answer(&v["tools"][0]["input_schema"])),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), &server.base);
    let a = anthropic_backend(&opts).unwrap().classify(&inp).unwrap();
    let mut o_opts = options(&dir.path().join("o"), &format!("{}/v1", server.base));
    o_opts.model = Some("local".into());
    let o = openai_backend(&o_opts).unwrap().classify(&inp).unwrap();

    let bs_dir = tempfile::tempdir().unwrap();
    let batch_srv = Server::start(|req, _| {
        if req.method == "POST" {
            return Reply::json(
                200,
                &json!({"id": "msgbatch_x", "processing_status": "in_progress"}),
            );
        }
        if req.path.ends_with("/results") {
            return Reply::raw(200, "");
        }
        Reply::json(
            200,
            &json!({"id": "msgbatch_x", "processing_status": "in_progress"}),
        )
    });
    let mut b_opts = options(bs_dir.path(), &batch_srv.base);
    b_opts.give_up_after = Some(std::time::Duration::from_millis(100));
    let b_err = batch_backend(&b_opts).unwrap().classify(&inp).unwrap_err();

    assert!(server.count() >= 22 && batch_srv.count() >= 2);
    for r in server.all().iter().chain(batch_srv.all().iter()) {
        assert_clean("a request body", &r.body);
        for (k, v) in &r.headers {
            assert_clean("a request header", &format!("{k}: {v}"));
        }
    }
    assert_clean("anthropic labels", &serde_json::to_string(&a).unwrap());
    assert_clean("openai labels", &serde_json::to_string(&o).unwrap());
    assert_eq!(
        a.work_mode.error.as_deref(),
        Some("anthropic: HTTP 400 invalid_request_error after 1 attempt(s)"),
        "the echoed error was recorded in our own words"
    );
    assert_clean("batch error", &b_err.0);
    for f in files_under(dir.path())
        .iter()
        .chain(files_under(bs_dir.path()).iter())
    {
        assert_clean("a cache or state file", f);
    }
}

/// A word of the transcript shaped like an error-type token, so a server echoing it in
/// `error.type` is caught too.
const MARKER: &str = "quartz_lantern_zebra_ledger";

/// Every word a label error may contain: the words of our own error templates. A label error
/// with any other word (a number aside) carries someone else's text, e.g. a provider message
/// echoing the request. Extending an error template means extending this list on purpose.
const OUR_WORDS: &[&str] = &[
    // Backends and HTTP failures.
    "anthropic",
    "openai",
    "batch",
    "HTTP",
    "after",
    "attempt",
    "s",
    "timeout",
    "connection",
    "failed",
    "host",
    "not",
    "found",
    "TLS",
    "error",
    "bad",
    "URL",
    "reply",
    "too",
    "large",
    "transport",
    "submission",
    "request",
    "errored",
    "unknown",
    "type",
    "canceled",
    "expired",
    "result",
    "of",
    "has",
    "no",
    "body",
    "missing",
    "from",
    "output",
    "message",
    // Protocol faults and deadlines.
    "cut",
    "off",
    "empty",
    "is",
    "a",
    "Messages",
    "API",
    "chat",
    "completions",
    "valid",
    "JSON",
    "deadline",
    "reached",
    // Provider error types we name.
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
    // Invalid answers.
    "invalid",
    "answer",
    "twice",
    "is",
    "a",
    "JSON",
    "object",
    "label",
    "one",
    "the",
    "allowed",
    "options",
    "option",
    "decisions",
    "list",
    "decision",
    "an",
    "kind",
    "or",
    "by",
    "job",
    "posting",
    "lacks",
    "title",
    "description",
    "lists",
    "fewer",
    "than",
    "skills",
    "price",
    "positive",
    "number",
    "dollars",
    "content",
    "tool",
    "call",
    "valid",
    "choices",
    "cached",
    "wrong",
    "internal",
    "classifier",
    "thread",
    "panicked",
];

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
}

/// Every label error of `l`, by label.
fn label_errors(l: &agentstat_facets::Labels) -> Vec<(&'static str, String)> {
    [
        ("work_mode", &l.work_mode.error),
        ("codebase_relation", &l.codebase_relation.error),
        ("decisions", &l.decisions.error),
        ("expertise", &l.expertise.error),
        ("user_profile", &l.user_profile.error),
        ("work_performed", &l.work_performed.error),
        ("outcome", &l.outcome.error),
        ("success_signal", &l.success_signal.error),
        ("failure_signal", &l.failure_signal.error),
        ("task_value", &l.task_value.error),
    ]
    .into_iter()
    .filter_map(|(k, e)| e.clone().map(|e| (k, e)))
    .collect()
}

/// Fails if `text` holds any 20-character stretch of the rendered transcript.
fn assert_no_transcript(what: &str, text: &str, rendering: &str) {
    assert!(
        !text.contains(MARKER),
        "{what} carries transcript text ({MARKER})"
    );
    for line in rendering.lines() {
        let chars: Vec<char> = line.chars().collect();
        for w in chars.windows(20) {
            let w: String = w.iter().collect();
            if w.chars().filter(|c| c.is_alphabetic()).count() >= 8 {
                assert!(!text.contains(&w), "{what} carries transcript text: {w:?}");
            }
        }
    }
}

fn assert_our_words(what: &str, labels: &agentstat_facets::Labels, expected_errors: usize) {
    let errors = label_errors(labels);
    assert_eq!(errors.len(), expected_errors, "{what}: {errors:?}");
    for (label, e) in &errors {
        for w in words(e) {
            assert!(
                OUR_WORDS.contains(&w),
                "{what} {label} error has a word that is not ours ({w:?}): {e}"
            );
        }
    }
}

/// Submitted batches in order: (custom id, params) of each request.
type Submitted = std::sync::Arc<std::sync::Mutex<Vec<Vec<(String, serde_json::Value)>>>>;

/// The scripted misbehaviour for one call, by measure: every reply echoes the request (type,
/// code, message, a label, a bare body) in a different place. Same for both wires.
fn hostile(req: &Recorded, openai: bool) -> Reply {
    let echo: String = req.body.chars().take(4000).collect();
    let err = |status: u16, kind: &str| {
        Reply::json(
            status,
            &json!({"type": "error", "error": {"type": kind, "code": MARKER, "message": echo}}),
        )
    };
    let answer = |input: serde_json::Value| {
        if openai {
            Reply::json(200, &openai_reply(&input.to_string()))
        } else {
            Reply::json(200, &anthropic_reply(input))
        }
    };
    match measure_of(&req.body) {
        "work_mode" => err(400, MARKER),
        "codebase_relation" => err(400, "invalid_request_error"),
        "decisions" => err(500, &echo),
        "expertise" => answer(json!({"reasoning": echo, "label": echo})),
        "user_profile" => Reply::raw(200, &echo),
        "work_performed" => Reply::raw(413, &format!("<html>{echo}</html>")),
        "outcome" => answer(json!(echo)),
        "success_signal" => err(429, "rate_limit_error"),
        "failure_signal" => Reply::json(200, &json!({"content": echo, "choices": echo}))
            .delayed(std::time::Duration::from_millis(900)),
        "job_posting" => {
            let schema = if openai {
                req.json()["response_format"]["json_schema"]["schema"].clone()
            } else {
                req.json()["tools"][0]["input_schema"].clone()
            };
            answer(good_answer(&schema))
        }
        "price" => err(503, &format!("overloaded_error {echo}")),
        _ => err(400, &echo),
    }
}

#[test]
fn no_request_text_reaches_a_label_error_facet_or_cache() {
    let mut s = planted_session();
    s.events.push(Event::Human(HumanTurn {
        text: format!("Rename {MARKER} in the billing module, keep the migration reversible"),
        ..Default::default()
    }));
    let rendering = render(&s).text;
    assert!(rendering.contains(MARKER));
    let t = Telemetry::default();
    let inp = SessionInput {
        session: &s,
        telemetry: &t,
    };
    let tight = |o: &mut agentstat_classify::llm::LlmOptions| {
        o.retry.max_attempts = 2;
        o.timeout = std::time::Duration::from_millis(300);
    };

    let server = Server::start(|req, _| hostile(req, req.path.ends_with("/chat/completions")));
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &server.base);
    tight(&mut opts);
    let a = anthropic_backend(&opts).unwrap().classify(&inp).unwrap();
    let mut o_opts = options(&dir.path().join("o"), &format!("{}/v1", server.base));
    o_opts.model = Some("local".into());
    tight(&mut o_opts);
    let o = openai_backend(&o_opts).unwrap().classify(&inp).unwrap();
    // The servers did echo the transcript back, so the checks below can fail.
    assert!(server
        .all()
        .iter()
        .filter(|r| measure_of(&r.body) != "price")
        .all(|r| r.body.contains(MARKER)));

    // Batches: each call's result misbehaves by measure; a result's `type` is echo too.
    let batches: Submitted = Default::default();
    let b2 = batches.clone();
    let batch_srv = Server::start(move |req, _| {
        if req.method == "POST" {
            let items = req.json()["requests"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut b = b2.lock().unwrap();
            b.push(
                items
                    .iter()
                    .map(|it| {
                        (
                            it["custom_id"].as_str().unwrap_or("").to_string(),
                            it["params"].clone(),
                        )
                    })
                    .collect(),
            );
            let id = format!("msgbatch_{}", b.len() - 1);
            return Reply::json(200, &json!({"id": id, "processing_status": "in_progress"}));
        }
        let rest = req.path.trim_start_matches("/v1/messages/batches/");
        if let Some(id) = rest.strip_suffix("/results") {
            let n: usize = id
                .trim_start_matches("msgbatch_")
                .parse()
                .unwrap_or(usize::MAX);
            let b = b2.lock().unwrap();
            let mut out = String::new();
            for (cid, params) in b.get(n).cloned().unwrap_or_default() {
                let echo: String = params.to_string().chars().take(4000).collect();
                let errored = |kind: &str| {
                    json!({"type": "errored", "error": {"type": "error",
                        "error": {"type": kind, "message": echo}}})
                };
                let result = match measure_of(&anthropic_text(&params)) {
                    "work_mode" => errored("invalid_request_error"),
                    "codebase_relation" => errored(MARKER),
                    "decisions" => json!({"type": echo}),
                    "expertise" => json!({"type": "succeeded",
                        "message": anthropic_reply(json!({"reasoning": echo, "label": echo}))}),
                    "user_profile" => json!({"type": "succeeded", "message": {"content": echo}}),
                    "job_posting" => json!({"type": "succeeded",
                        "message": anthropic_reply(good_answer(&params["tools"][0]["input_schema"]))}),
                    "price" => errored(&echo),
                    _ => json!({"type": "succeeded",
                        "message": anthropic_reply(good_answer(&params["tools"][0]["input_schema"]))}),
                };
                out.push_str(&json!({"custom_id": cid, "result": result}).to_string());
                out.push('\n');
            }
            return Reply::raw(200, &out);
        }
        Reply::json(200, &json!({"id": rest, "processing_status": "ended"}))
    });
    let bs_dir = tempfile::tempdir().unwrap();
    let b_opts = options(bs_dir.path(), &batch_srv.base);
    let b = batch_backend(&b_opts).unwrap().classify(&inp).unwrap();
    assert!(batch_srv
        .all()
        .iter()
        .any(|r| r.method == "POST" && r.body.contains(MARKER)));

    // Anthropic/OpenAI: everything but job_posting fails (price included); the batch: work
    // mode, codebase relation, decisions, expertise, user profile and price.
    assert_our_words("anthropic", &a, 10);
    assert_our_words("openai", &o, 10);
    assert_our_words("anthropic-batch", &b, 6);
    assert_eq!(
        a.work_mode.error.as_deref(),
        Some("anthropic: HTTP 400 after 1 attempt(s)"),
        "an unknown error type is dropped, not echoed"
    );
    assert_eq!(
        a.failure_signal.error.as_deref(),
        Some("anthropic: timeout after 2 attempt(s)")
    );
    assert_eq!(
        b.codebase_relation.error.as_deref(),
        Some("anthropic-batch: request errored (unknown error type) after 3 submission(s)")
    );
    for (what, l) in [("anthropic", &a), ("openai", &o), ("anthropic-batch", &b)] {
        assert_no_transcript(what, &serde_json::to_string(l).unwrap(), &rendering);
    }
    for f in files_under(dir.path())
        .iter()
        .chain(files_under(bs_dir.path()).iter())
    {
        assert_no_transcript("a cache or state file", f, &rendering);
    }
}
