//! Test support: a scripted HTTP/1.1 server on loopback that records every request, and
//! helpers that answer each wire format the way the real APIs do.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, v: &Value) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: v.to_string(),
            delay: Duration::ZERO,
        }
    }
    pub fn raw(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

type Script = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// A loopback server; `script(request, index)` decides each reply (index counts from 0).
pub struct Server {
    pub base: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    pub fn start(script: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let reqs = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (reqs, script) = (reqs.clone(), script.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &reqs, &*script);
                });
            }
        });
        Server { base, requests }
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn all(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, reqs: &Mutex<Vec<Recorded>>, script: &Script) -> std::io::Result<()> {
    let mut r = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    let rec = Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let index = {
        let mut g = reqs.lock().unwrap();
        g.push(rec.clone());
        g.len() - 1
    };
    let reply = script(&rec, index);
    std::thread::sleep(reply.delay);
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(reply.body.as_bytes())?;
    out.flush()
}

/// The classifier a request is for, from its instruction text.
pub fn measure_of(text: &str) -> &'static str {
    for (needle, id) in [
        ("Measure: WORK MODE", "work_mode"),
        ("Measure: CODEBASE RELATION", "codebase_relation"),
        ("Measure: DECISION ATTRIBUTION", "decisions"),
        ("Measure: EXPERTISE", "expertise"),
        ("Measure: USER PROFILE", "user_profile"),
        ("Measure: WORK PERFORMED", "work_performed"),
        ("Measure: OUTCOME", "outcome"),
        ("Measure: SUCCESS SIGNAL", "success_signal"),
        ("Measure: FAILURE SIGNAL", "failure_signal"),
        ("Task: REWRITE AS A JOB POSTING", "job_posting"),
        ("Task: PRICE A JOB POSTING", "price"),
    ] {
        if text.contains(needle) {
            return id;
        }
    }
    "unknown"
}

/// A valid answer for a schema (what a well-behaved model would return).
pub fn good_answer(schema: &Value) -> Value {
    let props = &schema["properties"];
    if let Some(e) = props["label"]["enum"].as_array() {
        return json!({"reasoning": "because", "label": e[e.len() / 2]});
    }
    if props.get("decisions").is_some() {
        return json!({"decisions": [
            {"decision": "pick the approach", "kind": "planning", "by": "user"},
            {"decision": "edit the parser", "kind": "execution", "by": "agent"},
            {"decision": "run the tests", "kind": "execution", "by": "agent"}
        ]});
    }
    if props.get("title").is_some() {
        return json!({"title": "Fix a parser", "description": "Fix it. Test it. Ship it.",
                      "skills": ["Rust", "Parsing", "Testing"]});
    }
    json!({"reasoning": "similar to reference 9", "usd": 1500})
}

/// Text of an Anthropic Messages request (all content blocks).
pub fn anthropic_text(req: &Value) -> String {
    let mut s = String::new();
    if let Some(blocks) = req["messages"][0]["content"].as_array() {
        for b in blocks {
            s.push_str(b["text"].as_str().unwrap_or(""));
            s.push('\n');
        }
    }
    s
}

/// A Messages API reply calling the forced tool with `input`.
pub fn anthropic_reply(input: Value) -> Value {
    json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "record_answer", "input": input}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "output_tokens": 5}
    })
}

/// A chat-completions reply whose content is `content`.
pub fn openai_reply(content: &str) -> Value {
    json!({
        "id": "c1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5}
    })
}

/// A hand-built interactive session.
pub fn session(text: &str) -> agentstat_session::Session {
    use agentstat_session::*;
    Session {
        id: "s1".into(),
        project: Some("/home/tester/proj".into()),
        events: vec![
            Event::Human(HumanTurn {
                text: text.into(),
                ..Default::default()
            }),
            Event::AssistantText(AssistantText {
                text: "Done.".into(),
                ..Default::default()
            }),
        ],
        ..Default::default()
    }
}

pub fn options(dir: &std::path::Path, base: &str) -> agentstat_classify::llm::LlmOptions {
    let mut o = agentstat_classify::llm::LlmOptions::new(dir.join("cache"));
    o.base_url = Some(base.to_string());
    o.api_key = Some("test-key-not-secret".into());
    o.timeout = Duration::from_millis(1500);
    o.retry.base_delay = Duration::from_millis(5);
    o.retry.max_delay = Duration::from_millis(20);
    o.poll_interval = Duration::from_millis(20);
    o
}
