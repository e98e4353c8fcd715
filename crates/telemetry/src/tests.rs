//! Unit tests of each telemetry rule on hand-built sessions.

use super::*;
use agentstat_session::{
    ActionResult, AssistantText, HumanTurn, LineDelta, ModelCall, SubagentInfo,
};
use serde_json::json;

fn human(text: &str, ts: i64) -> Event {
    Event::Human(HumanTurn {
        text: text.into(),
        timestamp: Some(ts),
        ..Default::default()
    })
}

fn say(text: &str, ts: i64) -> Event {
    Event::AssistantText(AssistantText {
        text: text.into(),
        timestamp: Some(ts),
        ..Default::default()
    })
}

fn action(
    tool: &str,
    kind: ActionKind,
    input: serde_json::Value,
    status: ResultStatus,
    output: &str,
) -> Event {
    Event::Action(Action {
        id: format!("t{}", output.len()),
        tool: tool.into(),
        kind,
        input: input.into(),
        timestamp: None,
        subagent: None,
        result: ActionResult {
            status,
            output: output.into(),
            ..Default::default()
        },
    })
}

fn bash(cmd: &str, status: ResultStatus, output: &str) -> Event {
    action(
        "Bash",
        ActionKind::Shell,
        json!({ "command": cmd }),
        status,
        output,
    )
}

fn session(events: Vec<Event>) -> Session {
    Session {
        id: "s".into(),
        events,
        ..Default::default()
    }
}

use ResultStatus::{Error as Err_, Ok as Ok_};

#[test]
fn prompts_actions_and_words() {
    let mut s = session(vec![
        human("do it", 1_000),
        say("Sure, doing it now.", 2_000),
        action(
            "Read",
            ActionKind::Read,
            json!({"file_path": "/a"}),
            Ok_,
            "x",
        ),
        action(
            "Bash",
            ActionKind::Shell,
            json!({"command": "ls"}),
            Err_,
            "no",
        ),
        action(
            "Edit",
            ActionKind::Edit,
            json!({}),
            ResultStatus::Rejected,
            "",
        ),
        Event::Human(HumanTurn {
            text: "also".into(),
            timestamp: Some(10_000),
            queued: true,
            ..Default::default()
        }),
        say("Done.", 12_000),
    ]);
    s.events.push(Event::AssistantText(AssistantText {
        text: "inside subagent words".into(),
        subagent: Some("a1".into()),
        ..Default::default()
    }));
    let t = measure(&s);
    assert_eq!(t.human_turns, 2);
    assert_eq!(t.queued_prompts, 1);
    assert_eq!(t.actions, 3);
    assert_eq!(t.successful_actions, 1);
    assert_eq!(t.tool_errors, 1);
    assert_eq!(t.rejections, 1);
    assert_eq!(t.actions_by_kind, [1, 0, 1, 0, 1, 0, 0, 0, 0]);
    assert_eq!(t.output_words, 5, "subagent text is not visible output");
    assert_eq!(t.actions_per_prompt, 1.5);
    assert_eq!(t.words_per_prompt, 2.5);
    assert_eq!(t.start_ms, Some(1_000));
    assert_eq!(t.end_ms, Some(12_000));
    assert_eq!(t.month.as_deref(), Some("1970-01"));
}

#[test]
fn model_calls_tokens_and_family() {
    let call = |m: &str, out: u64| ModelCall {
        message_id: m.into(),
        model: Some(m.into()),
        input_tokens: 10,
        cache_read_tokens: 100,
        cache_creation_tokens: 5,
        output_tokens: out,
        ..Default::default()
    };
    let mut s = session(vec![human("x", 0)]);
    s.model_calls = vec![
        call("claude-opus-4-1-20250805", 7),
        call("claude-opus-4-1-20250805", 3),
        call("claude-3-5-haiku-20241022", 1),
        call("<synthetic>", 0),
    ];
    let t = measure(&s);
    assert_eq!(t.model_calls, Some(3));
    assert_eq!(t.output_tokens, Some(11));
    assert_eq!(t.input_tokens, Some(3 * 115));
    assert_eq!(
        t.models,
        vec!["claude-3-5-haiku-20241022", "claude-opus-4-1-20250805"]
    );
    assert_eq!(t.model_family.as_deref(), Some("opus"));
    // Subagent calls do not decide the family: the main agent's model does.
    let mut s2 = s.clone();
    for i in 0..5 {
        s2.model_calls.push(ModelCall {
            message_id: format!("sub{i}"),
            model: Some("claude-haiku-4-5".into()),
            subagent: Some("a".into()),
            ..Default::default()
        });
    }
    assert_eq!(measure(&s2).model_family.as_deref(), Some("opus"));
    assert_eq!(model_family("gpt-4o-mini"), "gpt");
    assert_eq!(model_family("gemini-2.5-pro"), "gemini");
    assert_eq!(model_family("claude-sonnet-4-5"), "sonnet");
}

#[test]
fn token_sums_saturate_and_model_strings_are_closed() {
    let big = 1u64 << 63;
    let mut s = session(vec![human("x", 0)]);
    s.model_calls = (0..2)
        .map(|i| ModelCall {
            message_id: format!("m{i}"),
            model: Some("AKIAIOSFODNN7EXAMPLE".into()),
            input_tokens: big,
            cache_read_tokens: big,
            output_tokens: big,
            ..Default::default()
        })
        .collect();
    let t = measure(&s);
    assert_eq!(
        t.input_tokens,
        Some(u64::MAX),
        "two 2^63 counts must not wrap to 0"
    );
    assert_eq!(t.output_tokens, Some(u64::MAX));
    assert_eq!(t.models, vec!["other"]);
    assert_eq!(t.model_family.as_deref(), Some("other"));
}

#[test]
fn permission_modes_are_closed() {
    let mut s = session(vec![Event::Human(HumanTurn {
        text: "x".into(),
        permission_mode: Some("hunter2-password".into()),
        ..Default::default()
    })]);
    assert_eq!(measure(&s).permission_mode.as_deref(), Some("other"));
    s.events = vec![Event::Human(HumanTurn {
        text: "x".into(),
        permission_mode: Some("plan".into()),
        ..Default::default()
    })];
    assert_eq!(measure(&s).permission_mode.as_deref(), Some("plan"));
}

#[test]
fn lines_from_patches_and_inputs() {
    let mut recorded = action(
        "Edit",
        ActionKind::Edit,
        json!({"file_path": "/a.rs", "old_string": "x", "new_string": "y"}),
        Ok_,
        "",
    );
    if let Event::Action(a) = &mut recorded {
        a.result.lines = Some(LineDelta {
            added: 4,
            removed: 2,
        });
    }
    let s = session(vec![
        human("x", 0),
        recorded,
        action(
            "Edit",
            ActionKind::Edit,
            json!({"file_path": "/b.rs", "old_string": "a\nb\nc", "new_string": "a\nB\nc\nd"}),
            Ok_,
            "",
        ),
        action(
            "MultiEdit",
            ActionKind::Edit,
            json!({"file_path": "/a.rs", "edits": [
            {"old_string": "p", "new_string": "p\nq"}, {"old_string": "r\ns", "new_string": ""}]}),
            Ok_,
            "",
        ),
        action(
            "Write",
            ActionKind::Write,
            json!({"file_path": "/c.md", "content": "1\n2\n3\n"}),
            Ok_,
            "",
        ),
        // Failed and rejected edits change nothing.
        action(
            "Edit",
            ActionKind::Edit,
            json!({"file_path": "/d.rs", "old_string": "", "new_string": "zz"}),
            Err_,
            "not found",
        ),
        action(
            "Write",
            ActionKind::Write,
            json!({"file_path": "/e.rs", "content": "zz"}),
            ResultStatus::Rejected,
            "",
        ),
    ]);
    let t = measure(&s);
    assert_eq!(t.lines_added, Some(4 + 2 + 1 + 3));
    assert_eq!(t.lines_removed, Some(2 + 1 + 2));
    assert_eq!(t.files_touched, 3);
    assert!(t.wrote_code());
}

#[test]
fn git_commits_pushes_and_prs() {
    let mut s = session(vec![
        human("ship", 0),
        bash(
            "git add -A && git commit -m \"feat: x\"",
            Ok_,
            "[main 1a2b3c4] feat: x\n 2 files changed",
        ),
        bash("echo \"git commit\"", Ok_, "git commit"),
        bash(
            "git commit --amend --no-edit",
            Ok_,
            "[main 9f9f9f9] feat: x",
        ),
        bash(
            "git commit -m y",
            Err_,
            "nothing to commit, working tree clean",
        ),
        bash("git commit --dry-run -m z", Ok_, "On branch main"),
        bash("git commit -q -m quiet", Ok_, ""),
        bash(
            "git push origin main",
            Ok_,
            "To github.com:o/r.git\n   1a2b3c4..5d6e7f8  main -> main",
        ),
        bash(
            "git push",
            Err_,
            " ! [rejected]        main -> main (fetch first)",
        ),
        bash(
            "gh pr create --title t --body b",
            Ok_,
            "https://github.com/o/r/pull/7\n",
        ),
        bash(
            "gh pr create --title t --body b",
            Err_,
            "a pull request for branch \"x\" already exists",
        ),
        bash("git commit -m later", ResultStatus::Rejected, ""),
    ]);
    s.pr_links = vec![
        "https://github.com/o/r/pull/7".into(),
        "https://github.com/o/r/pull/8".into(),
    ];
    let t = measure(&s);
    assert_eq!(t.git_commits, 2);
    assert_eq!(t.git_pushes, 1);
    assert_eq!(
        t.pull_requests, 2,
        "pr-link records and gh output deduplicated by URL"
    );
}

#[test]
fn chained_commit_succeeds_even_if_later_step_fails() {
    let s = session(vec![
        human("x", 0),
        bash(
            "git commit -m a && git push",
            Err_,
            "[main abcdef1] a\n 1 file changed\nerror: failed to push some refs",
        ),
    ]);
    let t = measure(&s);
    assert_eq!(t.git_commits, 1);
    assert_eq!(t.git_pushes, 0);
}

#[test]
fn test_runs_and_outcomes() {
    let s = session(vec![
        human("test", 0),
        bash("cargo test", Ok_, "test result: ok. 5 passed; 0 failed"),
        bash("cargo test --no-run", Ok_, "Finished"),
        bash(
            "cargo test 2>&1 | tail -3",
            Ok_,
            "test result: FAILED. 4 passed; 1 failed",
        ),
        bash(
            "cd web && npx jest",
            Err_,
            "Tests:       2 failed, 3 passed, 5 total",
        ),
        bash("pytest -q", Ok_, "12 passed in 0.3s"),
        bash("go test ./...", Err_, "build failed"),
        bash("echo \"cargo test\"", Ok_, "cargo test"),
        bash("npm test", ResultStatus::Interrupted, ""),
        bash("pytest", Ok_, "Command running in background with ID: b1"),
        bash("python -m pytest tests", Ok_, "=== 3 passed in 1s ==="),
    ]);
    let t = measure(&s);
    assert_eq!(t.test_runs, 5 + 1);
    assert_eq!(t.test_runs_passed, 3);
    assert_eq!(t.test_runs_failed, 3);
    assert_eq!(t.last_test_passed, Some(true));
}

#[test]
fn interrupts_counted_once() {
    let stopped = |cmd: &str| {
        action(
            "Bash",
            ActionKind::Shell,
            json!({ "command": cmd }),
            ResultStatus::Interrupted,
            "",
        )
    };
    let s = session(vec![
        human("x", 0),
        // One Esc stops two parallel calls and writes one marker: one interrupt.
        stopped("sleep 100"),
        stopped("sleep 200"),
        Event::Interrupt {
            timestamp: Some(5),
            subagent: None,
        },
        human("y", 10),
        // A marker alone (Esc while the agent was writing).
        Event::Interrupt {
            timestamp: Some(15),
            subagent: None,
        },
        human("z", 20),
        // Interrupted calls with no marker still count, once.
        stopped("sleep 300"),
        stopped("sleep 400"),
        human("w", 30),
        stopped("sleep 500"),
    ]);
    assert_eq!(measure(&s).interrupts, 4);
}

#[test]
fn permission_modes() {
    let turn = |m: Option<&str>| {
        Event::Human(HumanTurn {
            text: "p".into(),
            permission_mode: m.map(String::from),
            ..Default::default()
        })
    };
    let s = session(vec![
        turn(Some("default")),
        turn(Some("acceptEdits")),
        turn(Some("acceptEdits")),
        turn(Some("bypassPermissions")),
        turn(None),
    ]);
    let t = measure(&s);
    assert_eq!(t.permission_mode.as_deref(), Some("acceptEdits"));
    assert_eq!(t.auto_approve_share, Some(0.75));
    let t = measure(&session(vec![turn(None)]));
    assert_eq!(t.auto_approve_share, None);
    assert_eq!(t.permission_mode, None);
}

#[test]
fn turn_durations_run_to_last_agent_event() {
    let mut tool = action("Bash", ActionKind::Shell, json!({"command": "ls"}), Ok_, "");
    if let Event::Action(a) = &mut tool {
        a.timestamp = Some(3_000);
        a.result.timestamp = Some(9_000);
    }
    let s = session(vec![
        human("a", 1_000),
        say("x", 2_000),
        tool,
        human("b", 100_000),
        say("y", 104_000),
        human("c", 200_000), // never answered: no duration
    ]);
    assert_eq!(turn_durations(&s), vec![8.0, 4.0]);
    // Subagent work placed after everything else still counts in the turn it ran in.
    let mut s2 = s.clone();
    s2.events.push(Event::AssistantText(AssistantText {
        text: "sub".into(),
        timestamp: Some(106_000),
        subagent: Some("a".into()),
        ..Default::default()
    }));
    assert_eq!(turn_durations(&s2), vec![8.0, 6.0]);
    let t = measure(&s);
    assert_eq!(t.turn_seconds_total, Some(12.0));
    assert_eq!(t.turn_seconds_median, Some(6.0));
}

#[test]
fn subagents_and_compactions() {
    let mut s = session(vec![
        human("x", 0),
        Event::Compaction {
            timestamp: None,
            trigger: Some("auto".into()),
        },
    ]);
    s.subagents = vec![
        SubagentInfo {
            id: "a".into(),
            layout: "nested".into(),
            ..Default::default()
        },
        SubagentInfo {
            id: "c".into(),
            layout: "nested".into(),
            is_compaction: true,
            ..Default::default()
        },
    ];
    let t = measure(&s);
    assert_eq!(t.subagents, 1);
    assert_eq!(t.compactions, 1);
}

#[test]
fn empty_session_is_all_zero() {
    let t = measure(&Session::default());
    // Nothing happened: no lines and no tokens are known zeros, not unknowns.
    let zero = Telemetry {
        model_calls: Some(0),
        output_tokens: Some(0),
        input_tokens: Some(0),
        lines_added: Some(0),
        lines_removed: Some(0),
        ..Telemetry::default()
    };
    assert_eq!(t, zero);
}

#[test]
fn what_the_transcript_cannot_tell_is_unknown_not_zero() {
    let ok = ResultStatus::Ok;
    // The agent answered but no request carried a token count: tokens unknown.
    // No request recorded at all: the number of calls is unknown too.
    let t = measure(&session(vec![human("go", 1), say("done", 2)]));
    assert_eq!((t.input_tokens, t.output_tokens), (None, None));
    assert_eq!(t.model_calls, None);
    // A call with usage makes them known.
    let mut s = session(vec![human("go", 1), say("done", 2)]);
    s.model_calls.push(ModelCall {
        message_id: "m".into(),
        input_tokens: 5,
        output_tokens: 2,
        ..Default::default()
    });
    let t = measure(&s);
    assert_eq!((t.input_tokens, t.output_tokens), (Some(5), Some(2)));
    assert_eq!(t.model_calls, Some(1));
    // A human turn alone (no answer): zero tokens and zero calls are known.
    let t = measure(&session(vec![human("go", 1)]));
    assert_eq!((t.output_tokens, t.model_calls), (Some(0), Some(0)));

    // Files changed only by `sed -i` (no content): lines unknown, the file still counted, and
    // the session still wrote code.
    let t = measure(&session(vec![
        human("fix", 1),
        bash("sed -i 's/a/b/' src/x.rs", ok, ""),
    ]));
    assert_eq!(
        (t.lines_added, t.lines_removed, t.files_touched),
        (None, None, 1)
    );
    assert!(t.wrote_code());
    assert_eq!(t.lines_or_zero(), (0, 0));
    // An edit without any size (no patch, no old/new strings) is unknown too.
    let t = measure(&session(vec![
        human("fix", 1),
        action(
            "Edit",
            ActionKind::Edit,
            json!({"file_path": "a.rs"}),
            ok,
            "",
        ),
    ]));
    assert_eq!(t.lines_added, None);
    // A known count, even beside a write of unknown size, is kept (a lower bound).
    let t = measure(&session(vec![
        human("fix", 1),
        bash("sed -i 's/a/b/' src/x.rs", ok, ""),
        bash("cat > src/y.rs <<'EOF'\na\nb\nEOF", ok, ""),
    ]));
    assert_eq!(t.files_touched, 2);
    assert!(t.lines_added.is_some_and(|n| n > 0), "{:?}", t.lines_added);
    // Nothing written: zero lines is known.
    let t = measure(&session(vec![human("look", 1), bash("ls", ok, "a")]));
    assert_eq!((t.lines_added, t.lines_removed), (Some(0), Some(0)));
    assert!(!t.wrote_code());
}

#[test]
fn pushes_need_a_ref_update_or_a_clean_exit() {
    let s = session(vec![
        human("x", 0),
        bash("git push", Ok_, "Everything up-to-date"),
        bash(
            "git push -u origin feat",
            Ok_,
            "To github.com:o/r.git\n * [new branch]      feat -> feat",
        ),
        bash(
            "git push --force-with-lease",
            Ok_,
            " + 1a2b3c4...5d6e7f8 main -> main (forced update)",
        ),
        bash("git push -q", Ok_, ""),
        bash(
            "git commit -m x && git push",
            Err_,
            "nothing to commit, working tree clean",
        ),
        bash("git push", ResultStatus::Rejected, ""),
    ]);
    assert_eq!(measure(&s).git_pushes, 3);
}

#[test]
fn commits_via_git_dash_c_and_prs_from_mcp_tools() {
    let s = session(vec![
        human("x", 0),
        bash(
            "git -C /w/a add f && git -C /w/a commit -m \"r1\"",
            Ok_,
            "[alice/x ad2d134] r1\n 1 file changed",
        ),
        action(
            "mcp__github__create_pull_request",
            ActionKind::Other,
            json!({"title": "t"}),
            Ok_,
            "{\"html_url\": \"https://github.com/o/r/pull/9\"}",
        ),
        bash(
            "gh pr create --fill",
            Ok_,
            "https://github.com/o/r/pull/9\n",
        ),
    ]);
    let t = measure(&s);
    assert_eq!(t.git_commits, 1);
    assert_eq!(t.pull_requests, 1, "the same PR seen twice");
}

proptest::proptest! {
    /// Word counting agrees with `split_whitespace` on ASCII and Unicode whitespace.
    #[test]
    fn words_counted_like_split_whitespace(
        s in "([a-z.,]|[ \t\n\r]|\u{b}|\u{c}|\u{8}|\u{e}|\u{1f}|!|\u{7f}|\u{85}|\u{a0}|\u{1680}|\u{2003}|\u{3000}|é|✓|\u{1f600}|[a-z ]{8,20}){0,50}"
    ) {
        proptest::prop_assert_eq!(count_words(&s), s.split_whitespace().count() as u64);
    }
}

#[test]
fn lines_tracked_outside_the_transcript_fill_in_unknown_lines() {
    let ok = ResultStatus::Ok;
    let mut s = session(vec![
        human("fix", 1),
        bash("sed -i 's/a/b/' src/x.rs", ok, ""),
    ]);
    assert_eq!(measure(&s).lines_added, None);
    s.tracked_lines = Some(agentstat_session::TrackedLines {
        lines: 12,
        files: 3,
    });
    let t = measure(&s);
    assert_eq!((t.lines_added, t.files_touched), (Some(12), 3));
    // Removed lines are not tracked: still unknown.
    assert_eq!(t.lines_removed, None);
    // A larger transcript count wins (both are lower bounds).
    let mut s = session(vec![
        human("fix", 1),
        bash("cat > src/y.rs <<'EOF'\na\nb\nEOF", ok, ""),
    ]);
    s.tracked_lines = Some(agentstat_session::TrackedLines { lines: 1, files: 1 });
    assert_eq!(measure(&s).lines_added, Some(2));
}
