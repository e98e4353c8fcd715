//! Property tests: the text analysis never panics on arbitrary input, and `measure` keeps its
//! invariants on arbitrary sessions.

use agentstat_session::*;
use agentstat_telemetry::{lines, measure, shell};
use proptest::prelude::*;

fn texty() -> impl Strategy<Value = String> {
    // Shell-ish and runner-ish fragments mixed with arbitrary Unicode.
    let frag = prop_oneof![
        Just("git commit -m \"x\"".to_string()),
        Just(" && ".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("$(".to_string()),
        Just(")".to_string()),
        Just("<<EOF\n".to_string()),
        Just("\nEOF\n".to_string()),
        Just("\\".to_string()),
        Just("2>&1 | ".to_string()),
        Just("cargo test".to_string()),
        Just("test result: FAILED. 1 passed; 2 failed".to_string()),
        Just("Tests: 3 failed".to_string()),
        Just("https://github.com/o/r/pull/1".to_string()),
        Just("[main 1a2b3c4] m".to_string()),
        Just("\u{3000}/pull/7".to_string()),
        any::<String>(),
    ];
    prop::collection::vec(frag, 0..12).prop_map(|v| v.concat())
}

fn status() -> impl Strategy<Value = ResultStatus> {
    prop_oneof![
        Just(ResultStatus::Ok),
        Just(ResultStatus::Error),
        Just(ResultStatus::Rejected),
        Just(ResultStatus::Interrupted),
        Just(ResultStatus::Missing),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (texty(), any::<Option<i32>>(), any::<bool>()).prop_map(|(t, ts, q)| Event::Human(
            HumanTurn {
                text: t,
                timestamp: ts.map(i64::from),
                queued: q,
                ..Default::default()
            }
        )),
        (texty(), any::<Option<i32>>()).prop_map(|(t, ts)| Event::AssistantText(AssistantText {
            text: t,
            timestamp: ts.map(i64::from),
            ..Default::default()
        })),
        (texty(), texty(), status(), 0usize..9, any::<Option<i32>>()).prop_map(
            |(cmd, out, st, k, ts)| {
                let kind = ActionKind::ALL[k];
                let input = match kind {
                    ActionKind::Edit => {
                        serde_json::json!({"file_path": "/f", "old_string": cmd, "new_string": out})
                    }
                    ActionKind::Write => serde_json::json!({"file_path": "/g", "content": cmd}),
                    _ => serde_json::json!({"command": cmd}),
                };
                Event::Action(Action {
                    id: "t".into(),
                    tool: format!("{kind:?}"),
                    kind,
                    input: input.into(),
                    timestamp: ts.map(i64::from),
                    subagent: None,
                    result: ActionResult {
                        status: st,
                        output: out,
                        ..Default::default()
                    },
                })
            }
        ),
        any::<Option<i32>>().prop_map(|ts| Event::Interrupt {
            timestamp: ts.map(i64::from),
            subagent: None
        }),
    ]
}

proptest! {
    #[test]
    fn text_analysis_never_panics(s in texty(), t in texty()) {
        let cmds = shell::split_commands(&s);
        let _ = shell::git_commit_invocations(&cmds);
        let _ = shell::git_push_invocations(&cmds);
        let _ = shell::is_gh_pr_create(&cmds);
        let _ = cmds.iter().any(shell::is_test_command);
        let _ = shell::verdict_from_output(&s);
        let _ = shell::count_commit_lines(&s);
        let _ = shell::pr_urls(&s);
        let d = lines::diff_lines(&s, &t);
        prop_assert!(d.added <= lines::count_lines(&t) && d.removed <= lines::count_lines(&s));
    }

    #[test]
    fn measure_keeps_its_invariants(events in prop::collection::vec(event(), 0..25)) {
        let s = Session { id: "p".into(), events, ..Default::default() };
        let t = measure(&s);
        prop_assert!(t.successful_actions + t.tool_errors + t.rejections <= t.actions);
        prop_assert_eq!(t.actions_by_kind.iter().sum::<u32>(), t.actions);
        prop_assert!(t.test_runs_passed + t.test_runs_failed <= t.test_runs);
        prop_assert!(t.queued_prompts <= t.human_turns);
        prop_assert!(t.turn_seconds_total.unwrap_or(0.0) >= 0.0);
        if let Some(share) = t.auto_approve_share {
            prop_assert!((0.0..=1.0).contains(&share));
        }
        if t.human_turns == 0 {
            prop_assert_eq!(t.actions_per_prompt, 0.0);
        }
    }
}
