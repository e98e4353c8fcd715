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
                input: json!({"command": text}),
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
                input: json!({"pattern": text, "path": format!("/Users/{USER}/work/app/src")}),
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
        input: json!({"file_path": format!("/Users/{USER}/work/app/.env"), "content": "x"}),
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
    assert!(a.work_mode.error.is_some(), "the echoed error was recorded");
    assert_clean("batch error", &b_err.0);
    for f in files_under(dir.path())
        .iter()
        .chain(files_under(bs_dir.path()).iter())
    {
        assert_clean("a cache or state file", f);
    }
}
