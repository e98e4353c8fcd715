//! Aider adapter on fixtures we wrote: a history of three sessions, a website example page,
//! damaged files.

use agentstat_ingest::{discover, read_session, Diagnostics, Format, IngestOptions, SessionSource};
use agentstat_session::{parse_timestamp, ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/aider")).join(name)
}

fn opts() -> IngestOptions {
    IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    }
}

fn sources(name: &str) -> (Vec<SessionSource>, Diagnostics) {
    let mut d = Diagnostics::default();
    let s = discover(&[fx(name)], &mut d);
    (s, d)
}

fn read_all(name: &str) -> (Vec<Session>, Diagnostics) {
    let (srcs, mut d) = sources(name);
    let out = srcs
        .iter()
        .filter_map(|s| read_session(s, &opts(), &mut d))
        .collect();
    (out, d)
}

#[test]
fn one_history_file_is_split_into_its_sessions() {
    let (srcs, d) = sources(".aider.chat.history.md");
    // Three headers; the third has nothing after it: counted, not a session.
    assert_eq!(srcs.len(), 2);
    assert_eq!(d.ignored.get("empty-session"), Some(&1));
    assert!(srcs.iter().all(|s| s.format == Format::Aider));
    let spans: Vec<(u64, u64)> = srcs.iter().map(|s| s.files[0].span.unwrap()).collect();
    assert_eq!(spans[0].0, 0, "spans cover the file from its start");
    assert_eq!(spans[0].1, spans[1].0);
    let (sessions, d) = read_all(".aider.chat.history.md");
    assert_eq!(sessions.len(), 2);
    assert_eq!(d.files, 1, "the file counts once");
}

#[test]
fn an_empty_first_session_is_folded_into_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(".aider.chat.history.md");
    std::fs::write(
        &p,
        "# aider chat started at 2024-01-01 10:00:00\n\n\
         # aider chat started at 2024-01-01 11:00:00\n\n#### hello\n\nhi\n\n\
         # aider chat started at 2024-01-01 12:00:00\n\n#### again\n",
    )
    .unwrap();
    let mut d = Diagnostics::default();
    let srcs = discover(&[p], &mut d);
    assert_eq!(srcs.len(), 2);
    assert_eq!(d.ignored.get("empty-session"), Some(&1));
    let s: Vec<Session> = srcs
        .iter()
        .filter_map(|s| read_session(s, &opts(), &mut d))
        .collect();
    assert_eq!(d.files, 1);
    let starts: Vec<i64> = s.iter().map(|s| s.time_range().unwrap().0).collect();
    assert_eq!(
        starts,
        [
            parse_timestamp("2024-01-01T11:00:00Z").unwrap(),
            parse_timestamp("2024-01-01T12:00:00Z").unwrap()
        ]
    );
}

#[test]
fn prompts_commands_edits_commits_and_interrupts() {
    let (sessions, d) = read_all(".aider.chat.history.md");
    let s = &sessions[0];
    assert_eq!(s.agent.name, "aider");
    assert_eq!(s.agent.version.as_deref(), Some("0.50.1"));
    assert!(s.agent.edits_applied_after_reply);
    assert_eq!(s.entrypoint.as_deref(), Some("cli"));
    assert!(s.is_interactive());
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(
        prompts,
        [
            "add a hello function to hello.py",
            "/ask what does it do?",
            "fix it\nand rename a to b"
        ]
    );
    assert!(s.events.iter().any(
        |e| matches!(e, Event::System(n) if n.kind == "command" && n.text == "/run python hello.py")
    ));
    assert_eq!(d.ignored.get("blank-input"), Some(&1));
    let acts: Vec<_> = s.actions().collect();
    let got: Vec<(&str, ActionKind, ResultStatus)> = acts
        .iter()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect();
    assert_eq!(
        got,
        [
            ("search_replace", ActionKind::Edit, ResultStatus::Ok),
            ("auto_commit", ActionKind::Shell, ResultStatus::Ok),
            ("search_replace", ActionKind::Edit, ResultStatus::Error),
        ]
    );
    assert_eq!(acts[0].file_path().as_deref(), Some("hello.py"));
    assert_eq!(
        acts[0].input.get_str("new_string").as_deref(),
        Some("def a():\n    pass\n\ndef hello():\n    print('hi')\n")
    );
    assert_eq!(
        acts[1].command().as_deref(),
        Some("git commit -m 'feat: add hello'")
    );
    // The truncated third block was never applied: counted, not an action.
    assert_eq!(d.ignored.get("unfinished-edit-block"), Some(&1));
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    // `/ask` logs its message a second time: one prompt.
    assert_eq!(d.ignored.get("command-echo"), Some(&1));
    // `<source>` fences name no file: the path is the line above.
    assert_eq!(acts[2].file_path().as_deref(), Some("hello.py"));
    // Model calls from the token lines (cache hits out of the input).
    let calls: Vec<(u64, u64, u64)> = s
        .model_calls
        .iter()
        .map(|c| (c.input_tokens, c.cache_read_tokens, c.output_tokens))
        .collect();
    assert_eq!(calls, [(1200, 1200, 279), (1234, 0, 56), (3000, 0, 20)]);
    assert_eq!(
        s.model_calls[0].model.as_deref(),
        Some("claude-3-5-sonnet-20240620")
    );
    assert_eq!(
        s.events
            .iter()
            .filter(|e| matches!(e, Event::Interrupt { .. }))
            .count(),
        1
    );
    assert_eq!(
        s.time_range().unwrap().0,
        parse_timestamp("2024-08-05T09:00:00Z").unwrap()
    );
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "dave"));
}

#[test]
fn message_runs_are_non_interactive_and_new_files_are_writes() {
    let (sessions, _) = read_all(".aider.chat.history.md");
    let s = &sessions[1];
    assert_eq!(s.entrypoint.as_deref(), Some("sdk-cli"));
    assert_eq!(s.human_turns().count(), 1);
    assert!(!s.is_interactive());
    let a: Vec<_> = s.actions().collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].kind, ActionKind::Write);
    assert_eq!(a[0].result.status, ResultStatus::Ok);
    assert_eq!(
        a[0].input.get_str("content").as_deref(),
        Some("# New\n\ntext\n")
    );
    assert_eq!(s.agent.version.as_deref(), Some("0.50.2"));
    // No home directory in a path: unknown person.
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "unknown"));
}

#[test]
fn website_example_pages_read_only_their_transcript_blocks() {
    let (sessions, d) = read_all("website-example.md");
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts, ["make it faster"]);
    let st: Vec<(ActionKind, ResultStatus)> =
        s.actions().map(|a| (a.kind, a.result.status)).collect();
    assert_eq!(
        st,
        [
            (ActionKind::Edit, ResultStatus::Ok),
            (ActionKind::Shell, ResultStatus::Ok)
        ]
    );
    // Front matter is skipped; the page's prose is counted as not part of the transcript.
    assert_eq!(d.ignored.get("page-text"), Some(&2));
    assert_eq!(s.entrypoint.as_deref(), Some("cli"));
}

#[test]
fn damaged_and_empty_histories() {
    let (sessions, d) = read_all("bad-utf8.aider.chat.history.md");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].human_turns().count(), 1);
    assert_eq!(d.recovered.get("invalid-utf8"), Some(&1));
    assert_eq!(d.warnings[0].line, Some(3));
    assert!(d.warnings[0]
        .file
        .ends_with("bad-utf8.aider.chat.history.md"));

    let (sessions, d) = read_all("empty.aider.chat.history.md");
    assert!(sessions.is_empty());
    assert_eq!(d.warnings[0].reason, "empty-file");
    assert!(d.skipped.is_empty());
}

fn read_text(text: &str) -> (Vec<Session>, Diagnostics) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(".aider.chat.history.md");
    std::fs::write(&p, text).unwrap();
    let mut d = Diagnostics::default();
    let srcs = discover(&[p], &mut d);
    let out = srcs
        .iter()
        .filter_map(|s| read_session(s, &opts(), &mut d))
        .collect();
    (out, d)
}

/// `/help QUESTION` runs a help chat whose message aider logs as input: the question with the
/// documentation it retrieved (`# Question: …`), not the person typing again.
#[test]
fn a_help_question_is_one_prompt() {
    let (s, d) = read_text(
        "# aider chat started at 2024-08-01 10:00:00\n\n\
         #### /help how do I add files?  \n\n\
         #### # Question: how do I add files?  \n\
         ####   \n\
         #### # Relevant docs:  \n\
         #### <doc from_url=\"https://aider.chat/docs/usage.html\">  \n\
         #### Use /add.  \n\
         #### </doc>  \n\n\
         Use `/add FILE`.\n\n\
         > Tokens: 2.1k sent, 12 received.  \n",
    );
    assert_eq!(s.len(), 1);
    let prompts: Vec<&str> = s[0].human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts, ["/help how do I add files?"]);
    assert_eq!(d.ignored.get("command-echo"), Some(&1));
    // `/help` alone lists the commands: not a prompt.
    let (s, _) = read_text(
        "# aider chat started at 2024-08-01 10:00:00\n\n#### /help  \n> /add Add files  \n\n#### hi  \n\nhello\n",
    );
    assert_eq!(s[0].human_turns().count(), 1);
}

/// aider writes `> ` before the first line of a multi-line message only, and ends the message
/// with two spaces: the lines in between are aider's output (a command's output, a repo map),
/// never the model's reply.
#[test]
fn multi_line_tool_output_is_not_model_text() {
    let (s, d) = read_text(
        "# aider chat started at 2024-08-01 10:00:00\n\n\
         #### /run ls  \n\
         > a.txt\n\
         b.txt\n\
         \n\
         <<<<<<< SEARCH\n\
         c.txt  \n\
         > Add the output to the chat?\n\
         (y/n/instructions) y  \n\
         > a.txt  \n\
         > b.txt  \n\n\
         There are two files.\n\n\
         > Tokens: 1.0k sent, 5 received.  \n",
    );
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    let s = &s[0];
    let texts: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantText(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["There are two files."]);
    assert!(s.events.iter().any(
        |e| matches!(e, Event::System(n) if n.kind == "tool_output" && n.text.contains("b.txt\n"))
    ));
    assert_eq!(s.actions().count(), 0);
    assert_eq!(d.ignored.get("unfinished-edit-block"), None);
    assert_eq!(s.model_calls.len(), 1);
}

/// A history written without aider's two-space line ends (hand-edited, or very old): a `> `
/// line without them does not swallow what follows.
#[test]
fn tool_lines_without_line_break_marks_keep_the_reply() {
    let (s, _) = read_text(
        "# aider chat started at 2024-08-01 10:00:00\n\n#### hi\n> Added a.py\n\nHello there.\n\n#### bye\n",
    );
    let texts: Vec<&str> = s[0]
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantText(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["Hello there."]);
}

#[test]
fn odd_token_lines_never_panic() {
    let (s, _) = read_text(
        "# aider chat started at 2024-08-01 10:00:00\n\n#### hi  \n\nok\n\n> Tokens: é12 sent, ü3 received.  \n",
    );
    assert_eq!(s.len(), 1);
}

/// A Markdown heading in the model's reply looks like an input line, but aider ends every
/// input line with two spaces: without them, after model text, it is the reply's heading.
#[test]
fn headings_in_a_reply_are_not_prompts() {
    let (s, _) = read_text(
        "# aider chat started at 2024-08-01 10:00:00\n\n#### explain the plan  \n\n\
         Here is the plan.\n\n#### Step 1\n\nDo this.\n\n> Tokens: 1k sent, 9 received.  \n\n\
         #### thanks  \n",
    );
    let prompts: Vec<&str> = s[0].human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts, ["explain the plan", "thanks"]);
}

#[test]
fn ctrl_c_is_an_interrupt_only_while_the_model_works() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(".aider.chat.history.md");
    std::fs::write(
        &p,
        "# aider chat started at 2024-01-01 10:00:00\n\n\
         > Aider v0.50.1  \n> Use /help <question> for help  \n>  \n>  \n> ^C again to exit  \n\n\
         #### explain main.py  \n>  \n>  \n> ^C again to exit  \n\n\
         It parses the arguments and\n\n\
         #### /web https://example.com  \n> Scraping https://example.com...  \n>  \n>  \n\
         > ^C again to exit  \n\n\
         The page describes an example domain.\n\n\
         > Tokens: 900 sent, 12 received.  \n>  \n>  \n> ^C again to exit  \n>  \n>  \n\
         > ^C KeyboardInterrupt  \n",
    )
    .unwrap();
    let mut d = Diagnostics::default();
    let srcs = discover(&[p], &mut d);
    let s = read_session(&srcs[0], &opts(), &mut d).unwrap();
    let interrupts = s
        .events
        .iter()
        .filter(|e| matches!(e, Event::Interrupt { .. }))
        .count();
    // During the reply to the prompt, and during the `/web` request; not at the prompt after the
    // banner, nor after a finished reply (its token count was printed).
    assert_eq!(interrupts, 2);
    assert_eq!(d.ignored.get("ctrl-c-at-prompt"), Some(&2));
}
