//! The heuristic's key rules on hand-built sessions: each test states a rubric rule and a
//! session that must (or must not) trigger it.

use agentstat_classify::heuristic::{HeuristicBackend, RULES_VERSION};
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::{
    CodebaseRelation, Expertise, Labels, Occupation, Outcome, Telemetry, UserProfile, WorkMode,
};
use agentstat_session::{
    Action, ActionKind, ActionResult, AssistantText, Event, HumanTurn, LineDelta, ResultStatus,
    Session,
};
use serde_json::json;

struct B {
    s: Session,
    t: Telemetry,
    n: usize,
}

impl B {
    fn new() -> B {
        let s = Session {
            id: "s1".into(),
            project: Some("/home/u/src/app".into()),
            ..Default::default()
        };
        B {
            s,
            t: Telemetry::default(),
            n: 0,
        }
    }
    fn ts(&mut self) -> Option<i64> {
        self.n += 1;
        Some(1_750_000_000_000 + self.n as i64 * 30_000)
    }
    fn human(mut self, text: &str) -> B {
        let timestamp = self.ts();
        self.s.events.push(Event::Human(HumanTurn {
            text: text.into(),
            timestamp,
            ..Default::default()
        }));
        self.t.human_turns += 1;
        self
    }
    fn say(mut self, text: &str) -> B {
        let timestamp = self.ts();
        self.s.events.push(Event::AssistantText(AssistantText {
            text: text.into(),
            timestamp,
            ..Default::default()
        }));
        self
    }
    fn act(
        mut self,
        tool: &str,
        kind: ActionKind,
        input: serde_json::Value,
        status: ResultStatus,
        output: &str,
        lines: Option<(u64, u64)>,
    ) -> B {
        let timestamp = self.ts();
        self.t.actions += 1;
        if status == ResultStatus::Ok {
            self.t.successful_actions += 1;
        } else if status == ResultStatus::Error {
            self.t.tool_errors += 1;
        }
        if let Some((a, r)) = lines {
            self.t.lines_added = Some(self.t.lines_added.unwrap_or(0) + a);
            self.t.lines_removed = Some(self.t.lines_removed.unwrap_or(0) + r);
        }
        self.s.events.push(Event::Action(Action {
            id: format!("t{}", self.n),
            tool: tool.into(),
            kind,
            input: input.into(),
            timestamp,
            subagent: None,
            result: ActionResult {
                status,
                output: output.into(),
                timestamp,
                lines: lines.map(|(added, removed)| LineDelta { added, removed }),
                exit_code: None,
            },
        }));
        self
    }
    fn read(self, path: &str) -> B {
        self.act(
            "Read",
            ActionKind::Read,
            json!({"file_path": path}),
            ResultStatus::Ok,
            "contents",
            None,
        )
    }
    fn grep(self, pat: &str) -> B {
        self.act(
            "Grep",
            ActionKind::Search,
            json!({"pattern": pat}),
            ResultStatus::Ok,
            "hits",
            None,
        )
    }
    fn edit(mut self, path: &str, added: u64, removed: u64) -> B {
        self.t.files_touched += 1;
        self.act(
            "Edit",
            ActionKind::Edit,
            json!({"file_path": path}),
            ResultStatus::Ok,
            "The file has been updated.",
            Some((added, removed)),
        )
    }
    fn write_new(mut self, path: &str, added: u64) -> B {
        self.t.files_touched += 1;
        self.act(
            "Write",
            ActionKind::Write,
            json!({"file_path": path}),
            ResultStatus::Ok,
            "File created successfully at: x",
            Some((added, 0)),
        )
    }
    fn sh(mut self, cmd: &str, ok: bool) -> B {
        if cmd.contains("pytest") || cmd.contains("cargo test") {
            self.t.test_runs += 1;
            if ok {
                self.t.test_runs_passed += 1
            } else {
                self.t.test_runs_failed += 1
            }
            self.t.last_test_passed = Some(ok);
        }
        if cmd.contains("git commit") && ok {
            self.t.git_commits += 1;
        }
        let st = if ok {
            ResultStatus::Ok
        } else {
            ResultStatus::Error
        };
        self.act(
            "Bash",
            ActionKind::Shell,
            json!({"command": cmd}),
            st,
            if ok { "ok" } else { "Error: exit code 1" },
            None,
        )
    }
    fn labels(&self) -> Labels {
        HeuristicBackend
            .classify(&SessionInput {
                session: &self.s,
                telemetry: &self.t,
            })
            .expect("classify")
    }
}

fn lvl(l: &agentstat_facets::Label<agentstat_facets::Signal>) -> u8 {
    l.value.expect("signal").level()
}

#[test]
fn passing_tests_and_a_commit_are_a_strong_success() {
    let b = B::new()
        .human("Add a `--since` flag to the export command so users can filter sessions by date; keep the parser strict.")
        .read("/home/u/src/app/src/export.py")
        .edit("/home/u/src/app/src/export.py", 40, 5)
        .edit("/home/u/src/app/tests/test_export.py", 30, 0)
        .sh("uv run pytest -q", true)
        .sh("git add -A && git commit -m 'export: --since'", true)
        .say("Done: added `--since`, tests pass and the change is committed.");
    let l = b.labels();
    assert!(lvl(&l.success_signal) >= 4, "{:?}", l.success_signal);
    assert!(lvl(&l.failure_signal) <= 1, "{:?}", l.failure_signal);
    assert_eq!(l.outcome.value, Some(Outcome::Succeeded));
    assert_eq!(l.work_mode.value, Some(WorkMode::Build));
    assert_eq!(l.codebase_relation.value, Some(CodebaseRelation::Modify));
}

#[test]
fn final_error_and_a_complaint_are_a_strong_failure() {
    let b = B::new()
        .human("The importer crashes on empty files, please fix it")
        .read("/home/u/src/app/src/importer.py")
        .edit("/home/u/src/app/src/importer.py", 3, 1)
        .say("Fixed the crash.")
        .human("no, it still crashes with the same error")
        .sh("python -m app.importer empty.csv", false)
        .say("The import still fails with the same error.");
    let l = b.labels();
    assert!(lvl(&l.failure_signal) >= 4, "{:?}", l.failure_signal);
    assert!(lvl(&l.success_signal) <= 2, "{:?}", l.success_signal);
    assert!(
        matches!(
            l.outcome.value,
            Some(Outcome::Failed | Outcome::PartiallySucceeded)
        ),
        "{:?}",
        l.outcome
    );
    assert_eq!(l.work_mode.value, Some(WorkMode::Fix));
}

#[test]
fn failing_tests_at_the_end_count_as_a_hard_failure() {
    let b = B::new()
        .human("Refactor the cache module to use an LRU")
        .edit("/home/u/src/app/src/cache.rs", 80, 40)
        .sh("cargo test", false)
        .say("Some tests still fail; I could not resolve them.");
    let l = b.labels();
    assert!(lvl(&l.failure_signal) >= 4, "{:?}", l.failure_signal);
}

#[test]
fn a_recovered_error_is_at_most_faint() {
    let b = B::new()
        .human("Add a health endpoint to the server")
        .sh("cargo test", false)
        .edit("/home/u/src/app/src/server.rs", 20, 0)
        .sh("cargo test", true)
        .say("Added `/health`; all tests pass.");
    let l = b.labels();
    assert!(lvl(&l.failure_signal) <= 1, "{:?}", l.failure_signal);
    assert!(lvl(&l.success_signal) >= 4);
}

#[test]
fn reading_without_changing_is_understand_and_explore() {
    let b = B::new()
        .human("Explain what _generate_html_with_navigation does and how the renderer calls it")
        .grep("_generate_html_with_navigation")
        .read("/home/u/src/app/renderer.py")
        .read("/home/u/src/app/converter.py")
        .say("It builds the page navigation: …");
    let l = b.labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Understand));
    assert_eq!(l.codebase_relation.value, Some(CodebaseRelation::Explore));
    assert_eq!(
        l.outcome.value,
        Some(Outcome::Succeeded),
        "a thin clean on-task session defaults to Succeeded"
    );
    assert!(lvl(&l.success_signal) >= 2);
}

#[test]
fn investigation_that_ends_in_a_fix_is_fix() {
    let b = B::new()
        .human("--- FAIL: TestHookInstall (0.04s)\n  agent_test.go:650: settings.json doesn't contain it\nFAIL")
        .read("/home/u/src/app/agent_test.go")
        .grep("go run")
        .edit("/home/u/src/app/agent.go", 2, 2)
        .sh("go test ./...", true)
        .say("All passing.");
    let l = b.labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Fix));
}

#[test]
fn new_project_files_are_create_and_build() {
    let b = B::new()
        .human("Create a small CLI in Go that converts CSV to JSON lines, with a --delimiter flag")
        .write_new("/home/u/src/new/main.go", 120)
        .write_new("/home/u/src/new/convert.go", 80)
        .write_new("/home/u/src/new/go.mod", 5)
        .sh("go build ./...", true)
        .say("Created the CLI.");
    let l = b.labels();
    assert_eq!(l.codebase_relation.value, Some(CodebaseRelation::Create));
    assert_eq!(l.work_mode.value, Some(WorkMode::Build));
}

#[test]
fn writing_tests_is_test() {
    let b = B::new()
        .human("Can you please add tests for the new cache version compatibility check? See _is_cache_version_compatible")
        .read("/home/u/src/app/cache.py")
        .edit("/home/u/src/app/tests/test_cache.py", 150, 0)
        .sh("uv run pytest tests/test_cache.py", true)
        .say("Added 12 tests; all pass.");
    let l = b.labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Test));
}

#[test]
fn ci_files_are_operate() {
    let b = B::new()
        .human("Add a GitHub Action workflow to run the linters on every push")
        .write_new("/home/u/src/app/.github/workflows/ci.yml", 40)
        .sh("act -j lint", true)
        .say("Workflow added.");
    let l = b.labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Operate));
}

#[test]
fn plan_mode_without_code_is_plan() {
    let b = B::new()
        .human("Let's brainstorm the design of the session state machine: what are the trade-offs of a tiered TTL approach?")
        .read("/home/u/src/app/state.go")
        .act("ExitPlanMode", ActionKind::Plan, json!({"plan": "…"}), ResultStatus::Ok, "approved", None)
        .write_new("/home/u/src/app/docs/plans/state-machine.md", 200)
        .say("Plan written.");
    let l = b.labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Plan));
    assert!(l.decisions.value.unwrap().planning_agent >= 1);
}

#[test]
fn no_framing_is_unclear_expertise_and_no_clear_goal() {
    let mut b = B::new();
    b.s.events
        .push(Event::System(agentstat_session::SystemNote {
            kind: "command".into(),
            text: "/mcp".into(),
            timestamp: None,
        }));
    let b = b.human("ok").say("Hello! What would you like to do?");
    let l = b.labels();
    assert_eq!(l.expertise.value, Some(Expertise::Unclear));
    assert_eq!(l.outcome.value, Some(Outcome::NoClearGoal));
}

#[test]
fn user_correcting_the_agent_with_structural_knowledge_raises_expertise() {
    let b = B::new()
        .human("The stdin payload is consumed by the first hook; parse it once on entry in `ParseHookInput` and pass it down, otherwise the streaming reader races with the TTL check.")
        .read("/home/u/src/app/hooks.go")
        .edit("/home/u/src/app/hooks.go", 30, 10)
        .say("I re-read stdin in each handler.")
        .human("no, that reintroduces the race: the second read sees EOF. Keep a single reader and check it with a concurrent test under -race")
        .say("You're right, the second read would see EOF. Fixed to use a single reader.")
        .edit("/home/u/src/app/hooks.go", 10, 12)
        .sh("go test -race ./...", true);
    let l = b.labels();
    let lv = l.expertise.value.and_then(Expertise::level).unwrap_or(0);
    assert!(lv >= 4, "{:?}", l.expertise);
    let generic = B::new()
        .human("make the website look nicer please")
        .edit("/home/u/site/index.html", 10, 2)
        .labels();
    let gv = generic
        .expertise
        .value
        .and_then(Expertise::level)
        .unwrap_or(0);
    assert!(
        gv < lv,
        "generic framing must rate below specific framing: {gv} vs {lv}"
    );
}

#[test]
fn occupation_is_unclear_without_affirmative_signal() {
    let l = B::new()
        .human("make the website look nicer please")
        .edit("/home/u/site/index.html", 10, 2)
        .labels();
    assert_eq!(l.user_profile.value, Some(UserProfile::Unclear));
    assert_eq!(l.work_performed.value, Some(Occupation::ComputerMath));
    let l = B::new()
        .human("Rebase this branch on main, fix the lint errors and open a PR for review")
        .edit("/home/u/src/app/x.go", 3, 3)
        .labels();
    assert_eq!(
        l.user_profile.value,
        Some(UserProfile::Group(Occupation::ComputerMath))
    );
}

#[test]
fn explicit_affirmation_is_a_hard_success_signal() {
    let l = B::new()
        .human("rename the `total` column to `sum_usd` in the report")
        .edit("/home/u/src/app/report.py", 4, 4)
        .say("Renamed.")
        .human("perfect, thanks!")
        .say("You're welcome!")
        .labels();
    assert!(lvl(&l.success_signal) >= 4, "{:?}", l.success_signal);
}

#[test]
fn value_grows_with_the_size_of_the_work() {
    let small = B::new()
        .human("what does main.rs do?")
        .read("/home/u/src/app/main.rs")
        .say("It starts the server.")
        .labels();
    let mut big =
        B::new().human("Implement the OpenTelemetry tracing epic across the plugin and the server");
    for i in 0..40 {
        big = big
            .edit(&format!("/home/u/src/app/src/m{i}.ex"), 60, 10)
            .sh("mix test", true);
    }
    big.t.turn_seconds_total = Some(4.0 * 3600.0);
    let big = big.labels();
    let (s, b) = (
        small.task_value.value.unwrap(),
        big.task_value.value.unwrap(),
    );
    assert!(s.usd < b.usd, "{} !< {}", s.usd, b.usd);
    assert!(s.band < b.band);
}

#[test]
fn every_label_carries_the_rule_set_provenance_and_is_deterministic() {
    let b = B::new()
        .human("fix the failing build")
        .sh("cargo build", false)
        .edit("/home/u/src/app/src/lib.rs", 2, 1)
        .sh("cargo build", true);
    let l1 = b.labels();
    let l2 = b.labels();
    assert_eq!(l1, l2);
    assert_eq!(l1.outcome.provenance.backend, "heuristic");
    assert_eq!(l1.outcome.provenance.model, "heuristic");
    assert_eq!(l1.outcome.provenance.prompt_version, RULES_VERSION);
    assert!(l1.task_value.error.is_none());
}

#[test]
fn empty_and_non_interactive_sessions_do_not_panic() {
    let s = Session::default();
    let t = Telemetry::default();
    let (l, ev) = HeuristicBackend
        .explain(&SessionInput {
            session: &s,
            telemetry: &t,
        })
        .unwrap();
    assert_eq!(l.outcome.value, Some(Outcome::NoClearGoal));
    assert!(!ev.is_empty());
    // Huge, odd input: a prompt of multi-byte characters and a gigantic pasted log.
    let big = "é".repeat(100_000) + &"error\n".repeat(50_000);
    let b = B::new().human(&big).act(
        "Weird",
        ActionKind::Other,
        json!(null),
        ResultStatus::Missing,
        "",
        None,
    );
    let _ = b.labels();
}

#[test]
fn explain_gives_evidence_for_every_facet() {
    let b = B::new()
        .human("Add a --json flag to the stats command")
        .edit("/home/u/src/app/stats.rs", 20, 0)
        .sh("cargo test", true);
    let (_, ev) = HeuristicBackend
        .explain(&SessionInput {
            session: &b.s,
            telemetry: &b.t,
        })
        .unwrap();
    for facet in [
        "work_mode",
        "codebase_relation",
        "decisions",
        "expertise",
        "user_profile",
        "work_performed",
        "outcome",
        "success_signal",
        "failure_signal",
        "task_value",
    ] {
        assert!(
            ev.iter().any(|e| e.facet == facet),
            "no evidence for {facet}"
        );
    }
}

/// Classification must stay linear in session length (extract has to keep up with scan): a
/// session four times longer may not take more than ~3x "four times" as long (quadratic
/// work would take sixteen times). The minimum of several runs damps scheduling noise.
#[test]
fn classification_time_grows_linearly_with_session_length() {
    fn build(turns: usize) -> B {
        let mut b = B::new();
        for i in 0..turns {
            b = b
                .human(&format!("no, the `parse_{i}` step still fails on empty input; fix it and keep the API stable"))
                .say("Actually, let me check the parser. I'd suggest option 1: validate first.")
                .read(&format!("/home/u/src/app/src/p{i}.rs"))
                .grep("parse_")
                .edit(&format!("/home/u/src/app/src/p{}.rs", i % 50), 12, 3)
                .sh("cargo test", i % 3 != 0)
                .sh("git commit -am wip", true);
        }
        b
    }
    let time = |b: &B| {
        (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                let _ = b.labels();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let (small, large) = (build(500), build(2000));
    let (ts, tl) = (time(&small), time(&large));
    assert!(
        tl < 12.0 * ts.max(1e-4),
        "500 turns {ts:.4}s, 2000 turns {tl:.4}s: not linear"
    );
}

/// The text helpers see arbitrary user input (pasted logs, IDE context, any script): random
/// strings over an alphabet rich in the characters they slice on must never panic.
#[test]
fn text_helpers_survive_arbitrary_input() {
    use agentstat_classify::heuristic::features::{cmd_cat, file_cat, strip_ide_context};
    use agentstat_classify::heuristic::text::{head, tech_tokens, Norm};
    const PIECES: &[&str] = &[
        "<ide_selection>",
        "</ide_selection>",
        "<ide_opened_file>",
        "<system-reminder>",
        "<",
        ">",
        ":(",
        "`",
        "--",
        "v1.2",
        "é",
        "日本",
        "🤦",
        "\n",
        " ",
        "_",
        ".",
        "/",
        "\\",
        "&& ",
        "git:(",
        "no",
        "fix",
        "’",
        "a",
        "Z",
        "0",
        "-",
        "--x",
        "(",
        ")",
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..3000 {
        let len = (next() % 40) as usize;
        let s: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let n = Norm::new(&s);
        let _ = n.has("no") || n.has("git main") || n.starts(&["no"]);
        let _ = tech_tokens(&s);
        let _ = strip_ide_context(&s);
        let _ = cmd_cat(&s);
        let _ = file_cat(&s);
        for cut in [0, 1, 2, 3, 7, 64] {
            let h = head(&s, cut);
            assert!(s.starts_with(h));
        }
    }
}

// ---- habits (per-session flags about the user's behaviour) ------------------------------

use agentstat_classify::heuristic::features::habits;

impl B {
    fn human_in(mut self, text: &str, mode: &str) -> B {
        let timestamp = self.ts();
        self.s.events.push(Event::Human(HumanTurn {
            text: text.into(),
            timestamp,
            permission_mode: Some(mode.into()),
            ..Default::default()
        }));
        self.t.human_turns += 1;
        // Telemetry records the most frequent mode; any recorded mode makes the share known.
        self.t
            .permission_mode
            .get_or_insert_with(|| mode.to_string());
        self
    }
}

#[test]
fn habits_of_a_careful_session() {
    let b = B::new()
        .human_in(
            "In `parse_config` the `--strict` flag drops unknown keys; fix it so that the tests in tests/config.rs should pass again.",
            "plan",
        )
        .read("/home/u/src/app/src/config.rs")
        .human_in("ok, go ahead", "default")
        .edit("/home/u/src/app/src/config.rs", 12, 3)
        .human_in("Now check that unknown keys are rejected, then walk me through what you changed.", "default")
        .sh("cargo test", true);
    let h = habits(&b.s, &b.t);
    assert!(h.named_acceptance_test, "{h:?}");
    assert!(h.specific_setup, "{h:?}");
    assert!(h.asked_for_review, "{h:?}");
    assert_eq!(h.targeted_verification, 1, "{h:?}");
    let share = h.plan_mode_share.expect("modes were recorded");
    assert!((share - 1.0 / 3.0).abs() < 1e-12, "{share}");
    // Deterministic.
    assert_eq!(habits(&b.s, &b.t), h);
}

#[test]
fn habits_of_a_vague_session() {
    let b = B::new()
        .human("make the app better")
        .edit("/home/u/src/app/src/main.rs", 40, 2)
        .human("thanks, looks good")
        .say("Done.");
    let h = habits(&b.s, &b.t);
    assert!(
        !h.named_acceptance_test && !h.specific_setup && !h.asked_for_review,
        "{h:?}"
    );
    assert_eq!(h.targeted_verification, 0);
    // No permission mode recorded: the share is unknown, not zero.
    assert_eq!(h.plan_mode_share, None);
}

#[test]
fn review_before_any_edit_and_pasted_expectations_do_not_count() {
    // "Review the diff" before the agent changed anything is a review task, not a check of
    // the agent's work; "expected output" inside a pasted test log is not the user's criterion.
    let b = B::new()
        .human("review the diff of my branch please")
        .read("/home/u/src/app/src/lib.rs")
        .human("FAILED tests/test_x.py::test_parse - AssertionError\nE   expected output: 3\nE   got: 4\nTraceback (most recent call last):\n  File \"x.py\", line 3, in <module>")
        .say("I see.");
    let h = habits(&b.s, &b.t);
    assert!(!h.asked_for_review, "{h:?}");
    assert!(!h.named_acceptance_test, "{h:?}");
}

#[test]
fn a_long_spec_with_acceptance_criteria_names_an_acceptance_test() {
    // More than 12 lines reads as pasted, but "acceptance criteria" is the user's own framing.
    let mut spec = String::from("Implement the export feature.\n");
    for i in 0..14 {
        spec.push_str(&format!("- step {i}: handle the case\n"));
    }
    spec.push_str("Acceptance criteria: the CSV opens in a spreadsheet.\n");
    let b = B::new().human(&spec).say("On it.");
    assert!(habits(&b.s, &b.t).named_acceptance_test);
}

#[test]
fn an_automatic_commit_is_not_a_hard_success_signal_a_chosen_one_is() {
    // Aider commits every applied edit by itself: the commit restates the edit, it is not the
    // rubric's "matching commit" (a decision that the work is done).
    let prompt = "Make the retry delay in fetch.py configurable through an environment variable.";
    let auto = B::new()
        .human(prompt)
        .edit("/home/u/src/app/fetch.py", 6, 2)
        .act(
            agentstat_session::AUTO_COMMIT_TOOL,
            ActionKind::Shell,
            json!({"command": "git commit -m 'fetch: configurable retry delay'"}),
            ResultStatus::Ok,
            "",
            None,
        )
        .say("The delay now comes from FETCH_RETRY_DELAY.");
    let l = auto.labels();
    assert!(lvl(&l.success_signal) <= 3, "{:?}", l.success_signal);
    let chosen = B::new()
        .human(prompt)
        .edit("/home/u/src/app/fetch.py", 6, 2)
        .sh("git commit -am 'fetch: configurable retry delay'", true)
        .say("The delay now comes from FETCH_RETRY_DELAY, committed.");
    let l = chosen.labels();
    assert!(lvl(&l.success_signal) >= 4, "{:?}", l.success_signal);
}

#[test]
fn an_aider_session_ending_on_its_applied_edits_ends_cleanly() {
    // Aider's model never speaks after its edits are applied and committed; a Claude Code
    // session whose agent goes quiet after an action was cut off mid-work.
    let build = |agent: &str| {
        let mut b = B::new()
            .human("Add a --verbose flag to cli.py that prints each file as it is processed.")
            .say("Here is the change to cli.py: add the flag and print each path when it is set.")
            .edit("/home/u/src/app/cli.py", 5, 1);
        b.s.agent.name = agent.into();
        b.s.agent.edits_applied_after_reply = agent == "aider";
        b.labels()
    };
    let aider = build("aider");
    let claude = build("claude-code");
    assert!(
        lvl(&aider.success_signal) >= 2,
        "aider: {:?}",
        aider.success_signal
    );
    assert!(
        lvl(&claude.success_signal) <= 1,
        "claude-code: {:?}",
        claude.success_signal
    );
}

#[test]
fn a_session_of_greetings_only_is_communicate_with_no_clear_goal() {
    let l = B::new()
        .human("hi")
        .say("Hello! How can I help?")
        .human("thanks!")
        .labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Communicate));
    assert_eq!(l.outcome.value, Some(Outcome::NoClearGoal));
    // A question to the tool is not a greeting: asking about what exists is Understand.
    let l = B::new()
        .human("/help hi")
        .say("Aider is a pair programmer…")
        .labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Understand));
    let l = B::new()
        .human("hi, what does this repo do?")
        .say("It is …")
        .labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Understand));
}

#[test]
fn a_translation_is_prose_for_readers() {
    let l = B::new()
        .human("translate it all to french")
        .say("# Historique des versions …")
        .labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Communicate));
}

#[test]
fn a_change_request_that_never_landed_is_build_a_forward_question_is_plan() {
    // Interrupted before any edit: the intent was to change code.
    let l = B::new()
        .human("remove `can_prefill` and all its instantiations")
        .say("Here are the changes: …")
        .labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Build));
    // How it should be done, before doing it: Plan.
    let l = B::new()
        .human("/ask how can we make the autocomplete dropdown follow the color settings?")
        .say("You could pass the style through …")
        .labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Plan));
    // A question about what exists stays Understand.
    let l = B::new()
        .human("/ask how does get_tracked_files differ from `git ls-files`?")
        .say("It walks the tree …")
        .labels();
    assert_eq!(l.work_mode.value, Some(WorkMode::Understand));
}

/// A pasted plan: a feature whose body names errors and lint on the way.
const FEATURE_PLAN: &str = "Implement the following plan:\n\n# Plan: Add agent logos to the welcome page\n\n## Context\n\nThe welcome page shows only three logos.\n\n## Changes\n\n1. Add the SVGs.\n2. Show an error toast when a logo fails to load.\n\n## Verification\n\nRun lint and the tests; fix any errors.";

#[test]
fn a_pasted_plan_is_judged_by_its_title() {
    let run = |plan: &str| {
        B::new()
            .human(plan)
            .read("/home/u/src/app/welcome.tsx")
            .edit("/home/u/src/app/welcome.tsx", 40, 5)
            .edit("/home/u/src/app/logos.tsx", 30, 0)
            .sh("npm run lint", true)
            .say("Done.")
            .labels()
            .work_mode
            .value
    };
    assert_eq!(run(FEATURE_PLAN), Some(WorkMode::Build));
    let fix = FEATURE_PLAN.replace("Plan: Add agent logos to", "Fix: Broken logos on");
    assert_eq!(run(&fix), Some(WorkMode::Fix));
    let prompts = FEATURE_PLAN.replace(
        "Add agent logos to the welcome page",
        "Shorten the evaluator prompts",
    );
    assert_eq!(run(&prompts), Some(WorkMode::Orchestrate));
    // The same text not pasted as a plan still reads its breakage cues everywhere.
    let not_plan = FEATURE_PLAN.replace("Implement the following plan:", "Notes:");
    assert_eq!(run(&not_plan), Some(WorkMode::Fix));
}

#[test]
fn fixing_what_a_new_ci_workflow_reports_is_operate() {
    let run = |opener: &str| {
        B::new()
            .human(opener)
            .write_new("/home/u/src/app/.github/workflows/ci.yml", 30)
            .sh("act -j test", false)
            .human("fix the pyright errors it reports")
            .edit("/home/u/src/app/main.py", 10, 6)
            .edit("/home/u/src/app/util.py", 12, 8)
            .sh("act -j test", true)
            .say("Green.")
            .labels()
            .work_mode
            .value
    };
    assert_eq!(
        run("Add a CI workflow that runs the tests and the type checker"),
        Some(WorkMode::Operate)
    );
    // The same edits opened on something else: the fixes are the bulk, Fix.
    assert_eq!(
        run("Add a lint config that runs the tests and the type checker"),
        Some(WorkMode::Fix)
    );
}
