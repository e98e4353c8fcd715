//! The rules, one function per facet. Each returns its label and the evidence notes that
//! produced it (counts and matched cue words only: notes are shown locally by `explain`).

use super::features::{Features, FileCat, Prompt};
use super::text::{self, Texts};
use agentstat_facets::{
    CodebaseRelation, Decisions, Expertise, Occupation, Outcome, Signal, TaskValue, Telemetry,
    UserProfile, ValueBand, WorkMode,
};

pub type Notes = Vec<String>;

/// Weighted breakage cues (strong 3, weak 1) at which a prompt reports something broken.
const BROKEN: u32 = 3;

/// The broken-ness that applies to each prompt's segment: the latest substantive prompt's.
/// A session opened by a report of breakage stays reactive through follow-ups that ask for
/// nothing new ("fix it up", "what about X?"), but not through requests for new features.
fn segment_broken(f: &Features) -> Vec<bool> {
    let mut out = Vec::with_capacity(f.prompts.len());
    let mut cur = false;
    let mut first_broken: Option<bool> = None;
    for p in &f.prompts {
        if !p.accept && p.norm.words > 0 {
            let fb = *first_broken.get_or_insert(p.broken >= BROKEN);
            let asks_new = p
                .norm
                .any(&[
                    "add",
                    "implement",
                    "create",
                    "build",
                    "new feature",
                    "support",
                    "feature",
                    "let's also",
                    "refactor",
                    "write",
                    "update",
                ])
                .is_some();
            cur = p.broken >= BROKEN || (fb && !asks_new);
        }
        out.push(cur);
    }
    out
}

/// Weighted count of prompts carrying a cue list; the first substantive prompt counts double.
/// `subst` holds the substantive prompts' texts (the phrases none of them has are skipped).
fn cue_score(f: &Features, subst: &Texts, list: &[&str]) -> f64 {
    let cands = &subst.candidates(list)[..];
    let mut first = true;
    let mut s = 0.0;
    for p in f.substantive_prompts() {
        let hits = p.norm.count(cands).min(3) as f64;
        s += if first { 2.0 * hits } else { hits };
        first = false;
    }
    for c in &f.commands {
        s += c.count(list).min(2) as f64;
    }
    s
}

fn mode_index(m: WorkMode) -> usize {
    m.index()
}

/// Work mode (§3.1): where the bulk of the actions went, with the rubric's tie-breaks.
pub fn work_mode(f: &Features, t: &Telemetry) -> (WorkMode, Notes) {
    let mut notes = Notes::new();
    let subst = Texts::new(f.substantive_prompts().map(|p| &p.norm));
    let broken = segment_broken(f);
    let mut score = [0.0f64; 9];
    let add = |score: &mut [f64; 9], m: WorkMode, v: f64| score[mode_index(m)] += v;
    let mut code_broken = 0.0;
    let review_session = f.commands.iter().any(|c| c.has("review"))
        || f.substantive_prompts()
            .next()
            .is_some_and(|p| p.norm.any(&["review", "code review"]).is_some());
    let mut code_ok = 0.0;
    for (i, seg) in f.seg_edits.iter().enumerate() {
        let b = broken.get(i).copied().unwrap_or(false);
        // A review session's test edits are verification work even when a prompt says "fix".
        let asks_tests = review_session
            || f.prompts
                .get(i)
                .is_some_and(|p| p.norm.any(text::TEST_WORDS).is_some());
        let code = seg[FileCat::Code as usize] + 0.7 * seg[FileCat::Config as usize];
        // A pasted plan titled after prompts, agents or evals is meta-work on an AI system.
        let orch_plan = f.prompts.get(i).is_some_and(|p| {
            p.plan_title
                .as_ref()
                .is_some_and(|t| t.any(text::ORCH_CORE).is_some())
        });
        if b {
            code_broken += code;
            add(&mut score, WorkMode::Fix, code);
            if asks_tests {
                add(&mut score, WorkMode::Test, seg[FileCat::Test as usize]);
            } else {
                add(&mut score, WorkMode::Fix, seg[FileCat::Test as usize]);
            }
        } else {
            code_ok += code;
            add(
                &mut score,
                if orch_plan {
                    WorkMode::Orchestrate
                } else {
                    WorkMode::Build
                },
                code,
            );
            let tests = seg[FileCat::Test as usize];
            if asks_tests || code * 3.0 < tests {
                add(&mut score, WorkMode::Test, tests);
            } else {
                // Tests written alongside a feature serve the feature.
                add(&mut score, WorkMode::Build, 0.6 * tests);
                add(&mut score, WorkMode::Test, 0.4 * tests);
            }
        }
    }
    let code_total = code_broken + code_ok;
    let docs_factor = if code_total > 2.0 { 0.5 } else { 1.0 };
    add(
        &mut score,
        WorkMode::Communicate,
        docs_factor * f.weight(FileCat::Docs),
    );
    // A plan written on the way to code serves the code (a planning opener that pivots to
    // execution has the executed work as its goal).
    add(
        &mut score,
        WorkMode::Plan,
        if code_total > 2.0 { 0.3 } else { 1.0 } * f.weight(FileCat::PlanDoc),
    );
    add(&mut score, WorkMode::Operate, f.weight(FileCat::Ops));
    // Opened to set up CI, a deploy or a release, and it touched their files: fixing what the
    // pipeline reports on the way is part of that scaffolding work.
    if f.weight(FileCat::Ops) > 0.0
        && f.substantive_prompts()
            .next()
            .is_some_and(|p| p.norm.any(text::OPS_CORE).is_some() && p.broken < BROKEN)
    {
        add(&mut score, WorkMode::Operate, code_broken);
        notes.push("opened on CI, a deploy or a release, with their files edited: fixes on the way serve Operate".into());
    }
    add(&mut score, WorkMode::Analyze, f.weight(FileCat::Data));
    add(&mut score, WorkMode::Orchestrate, f.weight(FileCat::Agent));
    // Shell work that is itself the deliverable.
    let ops_cmds =
        f.cmd("ops") as f64 + 0.5 * f.cmd("install") as f64 + 0.2 * f.cmd("gitops") as f64;
    add(&mut score, WorkMode::Operate, 0.5 * ops_cmds);
    add(&mut score, WorkMode::Analyze, f.cmd("data") as f64);
    let edit_total = f.total_edit_weight();
    notes.push(format!(
        "edit weight {:.1} (code {:.1} of which after a report of breakage {:.1}; tests {:.1}; docs {:.1}; plan docs {:.1}; CI/deploy {:.1}; data {:.1}; prompt/agent files {:.1})",
        edit_total,
        code_total,
        code_broken,
        f.weight(FileCat::Test),
        f.weight(FileCat::Docs),
        f.weight(FileCat::PlanDoc),
        f.weight(FileCat::Ops),
        f.weight(FileCat::Data),
        f.weight(FileCat::Agent)
    ));
    notes.push(format!(
        "{} reads, {} searches, {} shell commands ({} tests, {} ops/deploy, {} installs, {} git plumbing, {} data)",
        f.reads,
        f.searches,
        f.shell,
        f.cmd("test"),
        f.cmd("ops"),
        f.cmd("install"),
        f.cmd("gitops"),
        f.cmd("data")
    ));
    // The user's words break ties and steer sessions with little editing.
    let cues = [
        (WorkMode::Plan, cue_score(f, &subst, text::PLAN_WORDS)),
        (
            WorkMode::Understand,
            cue_score(f, &subst, text::UNDERSTAND_WORDS),
        ),
        (WorkMode::Test, cue_score(f, &subst, text::TEST_WORDS)),
        (WorkMode::Operate, cue_score(f, &subst, text::OPS_WORDS)),
        (WorkMode::Analyze, cue_score(f, &subst, text::ANALYZE_WORDS)),
        (
            WorkMode::Orchestrate,
            cue_score(f, &subst, text::ORCH_WORDS),
        ),
        (
            WorkMode::Communicate,
            cue_score(f, &subst, text::COMM_WORDS),
        ),
    ];
    let plan_signals = f.exit_plan as f64 + f.prompts.iter().filter(|p| p.plan_mode).count() as f64;

    let non_prose = code_total
        + f.weight(FileCat::Test)
        + f.weight(FileCat::Ops)
        + f.weight(FileCat::Data)
        + f.weight(FileCat::Agent);
    let tiny_code = code_broken == 0.0
        && non_prose < 2.5
        && f.lines_changed < 15
        && (cue_score(f, &subst, text::UNDERSTAND_WORDS) >= 2.0 || review_session);
    if edit_total < 1.0 || ((non_prose < 1.0 || tiny_code) && ops_cmds < 3.0 && f.cmd("data") < 2) {
        // Little or no editing: the deliverable is knowledge, a plan, prose or operations.
        let cue = |m: WorkMode| {
            cues.iter()
                .find(|(k, _)| *k == m)
                .map(|(_, v)| *v)
                .unwrap_or(0.0)
        };
        let docs = f.weight(FileCat::Docs).min(4.0);
        let asked_prose = cue(WorkMode::Communicate) > 0.0;
        let looked_at_code = f.code_files_read > 0 || f.searches > 0 || f.cmd("gitread") > 0;
        let opener = f.substantive_prompts().next();
        // Greetings and small talk only, nothing done: no task, a conversation.
        let only_greetings = opener.is_some()
            && f.substantive_prompts().all(|p| p.greeting)
            && edit_total == 0.0
            && f.shell == 0;
        // The opener asked for a change that never (or barely) landed: the intent was Build.
        let asked_change = opener.is_some_and(|p| p.change_request);
        // … unless the change asked for is a release or a deploy: Operate.
        let asked_release = opener.is_some_and(|p| p.norm.any(text::RELEASE_WORDS).is_some());
        // The opener asked how something should be done: forward-looking, Plan.
        let asked_forward = opener.is_some_and(|p| p.forward_ask);
        let mut best = (
            WorkMode::Understand,
            1.0 + cue(WorkMode::Understand)
                + 0.05 * (f.reads + f.searches) as f64
                + if asked_prose { 0.0 } else { 0.5 * docs },
        );
        let cands = [
            (
                WorkMode::Plan,
                cue(WorkMode::Plan)
                    + 2.0 * plan_signals
                    + f.weight(FileCat::PlanDoc) * 2.0
                    + if asked_forward { 2.5 } else { 0.0 },
            ),
            (
                WorkMode::Operate,
                cue(WorkMode::Operate) * 0.5
                    + ops_cmds
                    + if asked_change && asked_release {
                        2.0
                    } else {
                        0.0
                    },
            ),
            (
                WorkMode::Analyze,
                cue(WorkMode::Analyze) + 2.0 * f.cmd("data") as f64,
            ),
            (
                WorkMode::Orchestrate,
                cue(WorkMode::Orchestrate) * 0.5
                    + if f.subagent_calls >= 3 && cue(WorkMode::Orchestrate) >= 2.0 {
                        3.0
                    } else {
                        0.0
                    },
            ),
            (
                WorkMode::Communicate,
                // Prose as the deliverable: asked for in words, or written without reading code.
                cue(WorkMode::Communicate)
                    + if asked_prose || !looked_at_code {
                        1.5 * docs
                    } else {
                        0.0
                    }
                    + if only_greetings { 3.0 } else { 0.0 },
            ),
            (
                WorkMode::Build,
                non_prose
                    + if asked_change && !asked_release {
                        2.0
                    } else {
                        0.0
                    },
            ),
            (
                WorkMode::Test,
                // A review of a change before merge is verification (QA), not learning.
                cue(WorkMode::Test)
                    + f.weight(FileCat::Test)
                    + if review_session { 2.5 } else { 0.0 },
            ),
            (
                WorkMode::Fix,
                // A short session opened to fix something broken is a Fix attempt even if it
                // never reached a change; a long investigation without one is Understand.
                if f.substantive_prompts().count() <= 4
                    && f.substantive_prompts().any(|p| p.broken >= BROKEN)
                {
                    2.5 + f.weight(FileCat::Code)
                } else {
                    0.0
                },
            ),
        ];
        for (m, v) in cands {
            if v > best.1 {
                best = (m, v);
            }
        }
        notes.push(format!(
            "little editing: chose {} from the user's words and non-edit actions (plan-mode/ExitPlanMode {}, opener: {}, cue scores: {})",
            best.0,
            plan_signals,
            if only_greetings {
                "greetings only"
            } else if asked_forward {
                "a forward-looking question"
            } else if asked_change {
                "a change request"
            } else {
                "–"
            },
            cues.iter().filter(|c| c.1 > 0.0).map(|(m, v)| format!("{m} {v:.0}")).collect::<Vec<_>>().join(", ")
        ));
        return (best.0, notes);
    }
    // Prompt cues add a small amount, enough to decide close calls.
    for (m, v) in cues {
        if m != WorkMode::Understand && m != WorkMode::Plan {
            score[mode_index(m)] += 0.3 * v.min(6.0);
        }
    }
    // Plan mode that pivots to execution: the executed work is the goal, so no Plan bonus here.
    let mut best = WorkMode::Build;
    let mut best_v = f64::MIN;
    for m in WorkMode::ALL {
        let v = score[mode_index(*m)];
        if v > best_v {
            best = *m;
            best_v = v;
        }
    }
    notes.push(format!(
        "scores: {}",
        WorkMode::ALL
            .iter()
            .filter(|m| score[mode_index(**m)] > 0.0)
            .map(|m| format!("{m} {:.1}", score[mode_index(*m)]))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if best == WorkMode::Fix {
        notes.push(
            "edits followed a prompt reporting something broken (error, failure, bug): Fix".into(),
        );
    }
    let _ = t;
    (best, notes)
}

/// Codebase relation (§3.2).
pub fn codebase_relation(f: &Features) -> (CodebaseRelation, Notes) {
    let code_like = f.weight(FileCat::Code)
        + f.weight(FileCat::Test)
        + f.weight(FileCat::Config)
        + f.weight(FileCat::Ops)
        + f.weight(FileCat::Agent)
        + f.weight(FileCat::Data);
    let prose = f.weight(FileCat::Docs) + f.weight(FileCat::PlanDoc);
    let looked_at_code = f.code_files_read > 0
        || f.searches >= 3
        || f.cmd("gitread") > 0
        || f.cmd("test") > 0
        || f.cmd("check") > 0;
    let note_counts = format!(
        "{} files edited ({} created here), {} code files read, lines added in new files {} vs existing files {}",
        f.files_edited.len(),
        f.files_created.len(),
        f.code_files_read,
        f.new_file_lines,
        f.existing_file_lines
    );
    if code_like >= 1.0 {
        let new_share = if f.new_file_lines + f.existing_file_lines > 0 {
            f.new_file_lines as f64 / (f.new_file_lines + f.existing_file_lines) as f64
        } else {
            0.0
        };
        let pre_existing_edited = f.files_edited.len().saturating_sub(f.files_created.len());
        let created = new_share >= 0.75
            && f.files_created.len() >= 2
            && pre_existing_edited <= 2
            && (f.code_files_read as usize) <= f.files_created.len() + 2;
        let r = if created {
            CodebaseRelation::Create
        } else {
            CodebaseRelation::Modify
        };
        return (
            r,
            vec![
                note_counts,
                format!(
                    "{:.0}% of added lines went to files created in this session",
                    100.0 * new_share
                ),
            ],
        );
    }
    if looked_at_code {
        let why = if prose > 0.0 {
            "code read; only prose/plan files written"
        } else {
            "code read, nothing changed"
        };
        return (CodebaseRelation::Explore, vec![note_counts, why.into()]);
    }
    (
        CodebaseRelation::NoCodebase,
        vec![
            note_counts,
            "no code file read, searched, built or changed".into(),
        ],
    )
}

/// Decision attribution (§3.3): planning decisions come from the user's directives and the
/// agent's plans and proposals; execution decisions are mostly the agent's concrete choices.
pub fn decisions(f: &Features) -> (Decisions, Notes) {
    let mut d = Decisions::default();
    let mut notes = Notes::new();
    let mut accepted = 0;
    for p in &f.prompts {
        if p.norm.words == 0 {
            continue;
        }
        if p.accept {
            if p.after_agent_question {
                d.planning_agent += 1;
                accepted += 1;
            }
            continue;
        }
        let question_only = p.norm.starts(&[
            "what",
            "why",
            "how",
            "where",
            "is",
            "are",
            "does",
            "do",
            "can you explain",
            "which",
            "who",
            "when",
        ]) && !p.norm.has("let's")
            && !p.norm.has("please");
        let pasted_only = p.pasted_output
            && p.norm.words > 40
            && p.norm
                .count(&["please", "can you", "fix", "let's", "make", "add"])
                == 0;
        if question_only || pasted_only {
            // A question or a pasted log leaves the "what next" to the agent.
            if question_only
                && p.norm
                    .any(&[
                        "should we",
                        "could we",
                        "can we",
                        "would it",
                        "do we need",
                        "do we even need",
                    ])
                    .is_some()
            {
                d.planning_user += 1;
            }
            if pasted_only {
                d.planning_agent += 1;
            }
            continue;
        }
        d.planning_user += 1;
        // A long brief usually settles more than one planning question.
        if p.norm.words > 60 && !p.pasted_output {
            d.planning_user += 1;
        }
        let named = p.tech.named();
        // Execution decisions are about *how*: which library, call, command or code shape.
        // Naming the thing to work on ("add tests for `f`") is the what, not the how.
        let dictates_how = p
            .norm
            .any(&[
                "use",
                "using",
                "call",
                "rename",
                "replace",
                "reuse",
                "instead",
                "via",
                "with the",
                "set",
                "put",
                "move",
                "inline",
                "parse",
                "switch to",
                "one per",
            ])
            .is_some();
        if dictates_how && (named > 0 || p.tech.paths > 0 || p.norm.words <= 25) {
            d.execution_user += 1;
        }
    }
    // Plans the agent authored, to-do breakdowns it chose, approaches it proposed.
    d.planning_agent += f.exit_plan + f.todo_plans.min(3) + f.agent_proposals.min(6);
    // Options the agent put to the user: the framing is the agent's, the choice the user's.
    d.planning_user += f.ask_user.min(4);
    // Any real piece of work leaves the agent at least one choice of approach or of what
    // counts as done.
    if d.planning_agent == 0 && f.edit_ok + f.shell > 2 {
        d.planning_agent = 1;
    }
    // Execution: which files and which commands, chosen by the agent.
    let files = f.files_edited.len() as u32;
    let fams = f.shell_families.len() as u32;
    // Raters count decisions, not edits: the agent's choices grow slower than the files touched.
    let agent_exec = (1 + files.div_ceil(2) + fams / 6).min(10);
    d.execution_agent = agent_exec.saturating_sub(d.execution_user.min(agent_exec / 2));
    if d.planning_user + d.planning_agent == 0 {
        d.planning_agent = u32::from(f.edit_ok + f.shell > 0);
    }
    notes.push(format!(
        "planning: {} by the user (directives, choices among offered options), {} by the agent ({} plans approved, {} to-do plans, {} proposals, {} accepted on a short reply)",
        d.planning_user, d.planning_agent, f.exit_plan, f.todo_plans.min(3), f.agent_proposals.min(6), accepted
    ));
    notes.push(format!(
        "execution: {} by the user (named code, files or commands to use), {} by the agent ({} files edited, {} kinds of command)",
        d.execution_user, d.execution_agent, files, fams
    ));
    (d, notes)
}

/// Expertise (§3.4) from setup specificity, verification type and direction of correction.
pub fn expertise(f: &Features) -> (Expertise, Notes) {
    let mut notes = Notes::new();
    let subst: Vec<&Prompt> = f.substantive_prompts().collect();
    let own_words: usize = subst
        .iter()
        .map(|p| {
            if p.pasted_output {
                p.norm.words.min(30)
            } else {
                p.norm.words
            }
        })
        .sum();
    // Code-shaped names per prompt are capped: a pasted snippet is not insider naming.
    let named: usize = subst
        .iter()
        .map(|p| p.tech.named().min(if p.pasted_output { 2 } else { 6 }))
        .sum();
    let texts = Texts::new(subst.iter().map(|p| &p.norm));
    let sw_distinct = SOFTWARE_VOCAB.iter().filter(|w| texts.any_has(w)).count();
    if own_words < 12 && named == 0 && sw_distinct < 2 {
        notes.push(format!(
            "the user wrote {own_words} words of framing and named nothing specific: Unclear"
        ));
        return (Expertise::Unclear, notes);
    }
    let mut structural: Vec<&str> = Vec::new();
    let structural_cands = texts.candidates(text::STRUCTURAL);
    for p in &subst {
        for s in &structural_cands {
            if !structural.contains(s) && p.norm.has(s) {
                structural.push(s);
            }
        }
    }
    // Pasting a failure back is reporting, not choosing what to check: not counted.
    let targeted = subst
        .iter()
        .filter(|p| p.norm.any(text::VERIFY_TARGETED).is_some())
        .count();
    let generic = subst
        .iter()
        .filter(|p| p.norm.any(text::VERIFY_GENERIC).is_some())
        .count();
    let user_corrects = subst
        .iter()
        .filter(|p| p.pushback && (p.tech.named() > 0 || p.norm.any(text::STRUCTURAL).is_some()))
        .count();
    let corr_up = f.agent_concedes as usize + user_corrects;
    let corr_down = f.agent_corrects as usize;
    let tradeoffs = subst
        .iter()
        .filter(|p| {
            p.norm
                .any(&[
                    "trade off",
                    "tradeoff",
                    "trade offs",
                    "tradeoffs",
                    "pros and cons",
                    "downside",
                    "at the cost",
                    "limiting",
                    "overkill",
                    "less work",
                    "simplest",
                ])
                .is_some()
        })
        .count();
    let density = named as f64 / (own_words.max(1) as f64 / 100.0);
    notes.push(format!(
        "setup specificity: {} code-shaped names in {} words of the user's own ({:.1} per 100); structural terms: {}",
        named,
        own_words,
        density,
        if structural.is_empty() { "none".to_string() } else { structural.iter().take(6).copied().collect::<Vec<_>>().join(", ") }
    ));
    notes.push(format!(
        "verification: {targeted} targeted, {generic} generic; corrections: user→agent {corr_up} (agent conceded {}), agent→user {corr_down}; trade-off talk {tradeoffs}",
        f.agent_concedes
    ));
    let spec = named >= 2 || structural.len() >= 2 || (named >= 1 && !structural.is_empty());
    // Precise directives are Intermediate; loose, generic framing lower.
    // A coherent, specific brief is Intermediate; Beginner needs loose framing with nothing
    // named, Novice generic framing throughout.
    let mut level: i32 = if spec || sw_distinct >= 2 || own_words >= 40 || named >= 1 {
        3
    } else if own_words >= 12 || !structural.is_empty() {
        2
    } else {
        1
    };
    let structural_knowledge = structural.len() >= 2 || (!structural.is_empty() && named >= 2);
    // Catching the agent's mistakes repeatedly (and the agent conceding) is Advanced even
    // without structural vocabulary.
    let caught = corr_up >= 2 && f.agent_concedes >= 1;
    if level >= 3 && ((structural_knowledge && (targeted >= 1 || corr_up >= 1)) || caught) {
        level = 4;
    }
    // Expert needs what the rubric singles out: unprompted trade-offs or preemptive edge cases.
    let edge_cases = subst
        .iter()
        .filter(|p| {
            p.norm
                .any(&[
                    "edge case",
                    "edge cases",
                    "corner case",
                    "scenario",
                    "scenarios",
                    "what happens if",
                    "what happens when",
                    "what if",
                ])
                .is_some()
        })
        .count();
    let strong = [
        density >= 3.0 && named >= 4,
        tradeoffs >= 1,
        targeted >= 2,
        corr_up >= 2,
        structural.len() >= 5,
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if level == 4 && strong >= 2 && (tradeoffs + edge_cases) >= 1 && corr_up >= 1 && corr_down == 0
    {
        level = 5;
    }
    if corr_down > corr_up {
        level -= 1;
    }
    // Generic checks are humility, not expertise: they lower only a level resting on volume.
    if generic > 0
        && targeted == 0
        && corr_up == 0
        && named == 0
        && structural.is_empty()
        && level > 2
    {
        level -= 1;
    }
    let level = level.clamp(1, 5) as u8;
    let e = Expertise::from_level(level).unwrap_or(Expertise::Unclear);
    notes.push(format!("level {level} ({})", e.name()));
    (e, notes)
}

const SOFTWARE_VOCAB: &[&str] = &[
    "pr",
    "prs",
    "pull request",
    "review",
    "merge",
    "branch",
    "rebase",
    "ci",
    "lint",
    "linting",
    "refactor",
    "refactoring",
    "commit",
    "push",
    "deploy",
    "unit test",
    "repo",
    "worktree",
    "linear",
    "jira",
    "ticket",
    "sprint",
    "codebase",
    "upstream",
    "type issues",
    "tests",
    "api",
    "endpoint",
    "backend",
    "frontend",
    "hook",
    "hooks",
    "cli",
    "git",
    "github",
    "dependency",
    "dependencies",
    "typescript",
    "python",
    "golang",
    "rust",
    "javascript",
];

/// (group, cue words) for affirmative non-software side signals and work subjects.
const OCCUPATION_VOCAB: &[(Occupation, &[&str])] = &[
    (
        Occupation::HealthcarePractitioners,
        &[
            "patient",
            "patients",
            "clinical",
            "clinic",
            "hospital",
            "diagnosis",
            "medical",
            "ehr",
            "nurse",
            "physician",
            "pharmacy",
            "dicom",
            "fhir",
            "radiology",
        ],
    ),
    (
        Occupation::Legal,
        &[
            "lawsuit",
            "legal",
            "attorney",
            "court",
            "statute",
            "litigation",
            "paralegal",
            "plaintiff",
            "defendant",
            "contract clause",
            "case law",
        ],
    ),
    (
        Occupation::Education,
        &[
            "students",
            "student",
            "curriculum",
            "lesson",
            "lessons",
            "teacher",
            "grading",
            "syllabus",
            "classroom",
            "homework",
            "lecture",
            "course material",
            "librarian",
        ],
    ),
    (
        Occupation::BusinessFinancial,
        &[
            "invoice",
            "invoices",
            "accounting",
            "tax",
            "taxes",
            "budget",
            "financial",
            "finance",
            "portfolio",
            "trading",
            "ledger",
            "payroll",
            "revenue",
            "bookkeeping",
            "expenses",
            "valuation",
        ],
    ),
    (
        Occupation::Science,
        &[
            "genome",
            "genomic",
            "protein",
            "physics",
            "chemistry",
            "hypothesis",
            "research paper",
            "neuroscience",
            "biology",
            "econometrics",
            "respondents",
            "telescope",
            "molecule",
        ],
    ),
    (
        Occupation::ArtsMedia,
        &[
            "blog post",
            "article",
            "video",
            "music",
            "podcast",
            "illustration",
            "photography",
            "novel",
            "screenplay",
            "journalism",
            "newsletter",
            "youtube",
            "song",
            "film",
            "graphic design",
        ],
    ),
    (
        Occupation::Sales,
        &[
            "leads",
            "crm",
            "sales",
            "prospect",
            "prospects",
            "outreach",
            "salesforce",
            "hubspot",
            "quota",
            "cold email",
        ],
    ),
    (
        Occupation::Management,
        &[
            "okrs",
            "stakeholders",
            "hiring",
            "headcount",
            "org chart",
            "board meeting",
            "strategy deck",
        ],
    ),
    (
        Occupation::OfficeAdmin,
        &[
            "scheduling",
            "appointments",
            "data entry",
            "filing",
            "inbox",
            "office",
        ],
    ),
    (
        Occupation::ArchitectureEngineering,
        &[
            "cad",
            "pcb",
            "circuit",
            "firmware",
            "mechanical",
            "structural engineering",
            "hvac",
            "fpga",
            "verilog",
            "schematic",
            "autocad",
            "solidworks",
        ],
    ),
    (
        Occupation::CommunitySocial,
        &[
            "counseling",
            "social work",
            "nonprofit",
            "case worker",
            "caseworker",
            "ministry",
        ],
    ),
];

/// Distinct cue words of a group in the user's prompts or the names of the directories and
/// files worked on (whole path components only, so `experiments/` is not a science signal).
fn vocab_hits(f: &Features, prompts: &Texts, words: &[&str]) -> usize {
    let mut n = 0;
    for w in words {
        let in_paths =
            f.side_words.has(w) || (w.contains(' ') && f.side_words.has(&w.replace(' ', "")));
        if in_paths || prompts.any_has(w) {
            n += 1;
        }
    }
    n
}

/// User profile (§3.5): the person's own profession from side signals; Unclear by default.
pub fn user_profile(f: &Features) -> (UserProfile, Notes) {
    let prompts = Texts::new(f.prompts.iter().map(|p| &p.norm));
    let mut best: Option<(Occupation, usize)> = None;
    for (o, words) in OCCUPATION_VOCAB {
        let h = vocab_hits(f, &prompts, words);
        if h >= 2 && best.is_none_or(|(_, b)| h > b) {
            best = Some((*o, h));
        }
    }
    let sw_distinct = SOFTWARE_VOCAB.iter().filter(|w| prompts.any_has(w)).count();
    let named: usize = f.prompts.iter().map(|p| p.tech.named()).sum();
    let team_tools = f.prs_created + f.pr_links;
    let notes_sw = format!("software-workflow vocabulary: {sw_distinct} distinct terms, {named} code-shaped names in prompts, {team_tools} PRs");
    if let Some((o, h)) = best {
        if h > sw_distinct {
            return (
                UserProfile::Group(o),
                vec![
                    format!("{h} {} terms in prompts or paths", o.as_str()),
                    notes_sw,
                ],
            );
        }
    }
    // Engineering tooling the person works with (a test suite, linters, version control, a
    // dev server): the setup of a software practitioner, not just code being written.
    let tooling = [
        "test", "check", "commit", "push", "gitread", "gitops", "build", "pr",
    ]
    .iter()
    .map(|k| f.cmd(k))
    .sum::<u32>();
    if sw_distinct >= 3 || (sw_distinct >= 2 && named >= 3) || team_tools > 0 || tooling >= 1 {
        return (
            UserProfile::Group(Occupation::ComputerMath),
            vec![
                notes_sw,
                format!("affirmative signal of a software practice: team workflow, code vocabulary or engineering tooling ({tooling} test/lint/git/build commands)"),
            ],
        );
    }
    (
        UserProfile::Unclear,
        vec![
            notes_sw,
            "no affirmative side signal: Unclear (writing code alone is not evidence)".into(),
        ],
    )
}

/// Work performed (§3.5): whose workers would typically do this work.
pub fn work_performed(f: &Features, mode: WorkMode) -> (Occupation, Notes) {
    let prompts = Texts::new(f.prompts.iter().map(|p| &p.norm));
    let mut best: Option<(Occupation, usize)> = None;
    for (o, words) in OCCUPATION_VOCAB {
        let h = vocab_hits(f, &prompts, words);
        if h >= 2 && best.is_none_or(|(_, b)| h > b) {
            best = Some((*o, h));
        }
    }
    let code_work = f.weight(FileCat::Code)
        + f.weight(FileCat::Test)
        + f.weight(FileCat::Config)
        + f.weight(FileCat::Ops);
    if let Some((o, h)) = best {
        if code_work < 3.0 || matches!(mode, WorkMode::Analyze | WorkMode::Communicate) {
            return (o, vec![format!("subject: {h} {} terms", o.as_str())]);
        }
    }
    (
        Occupation::ComputerMath,
        vec!["software work on code and systems: Computer and Mathematical".into()],
    )
}

/// Success signal (§3.7).
pub fn success_signal(f: &Features, fail_hard: u32, mode: WorkMode) -> (Signal, Notes) {
    // Hard signals, grouped by kind: "several hard signals" means several kinds (a commit and
    // a push of it are one piece of version-control evidence).
    let mut hard = Vec::new();
    let edited = f.edit_ok > 0;
    let mut vc = Vec::new();
    if f.commits_ok > 0 && (f.commit_after_last_edit || !edited) {
        vc.push("commit after the last edit");
    } else if f.commits_ok > 0 {
        vc.push("commit of the work");
    }
    if f.prs_created > 0 || f.pr_links > 0 {
        vc.push("pull request opened");
    }
    if !vc.is_empty() {
        hard.push(vc.join(" + "));
    }
    let tests_pass =
        f.tests_after_last_edit_passed > 0 && matches!(f.last_test, Some((true, _))) && edited;
    let checks_pass = f.checks_ok_after_last_edit > 0 && !f.checks_failed_last && edited;
    if tests_pass || checks_pass {
        hard.push(
            match (tests_pass, checks_pass) {
                (true, true) => "tests and lint/type checks passing after the last edit",
                (true, false) => "test suite passing after the last edit",
                _ => "lint/type checks passing after the last edit",
            }
            .to_string(),
        );
    }
    let n = f.prompts.len();
    let affirm = f.prompts.iter().any(|p| {
        p.n > 0
            && p.affirm
            && p.complaint.is_none()
            && p.frustration.is_none()
            && (p.n + 3 >= n || !f.unrecovered_final_error)
    });
    if affirm {
        hard.push("explicit user affirmation".to_string());
    }
    // In a planning session the plan is the artifact; the user approving it confirms it.
    if mode == WorkMode::Plan && f.exit_plan_approved > 0 {
        hard.push("plan approved by the user".to_string());
    }
    let mut notes = Notes::new();
    let claims_done_end = f
        .final_text
        .as_ref()
        .is_some_and(|t| t.any(text::DONE_CLAIMS).is_some());
    let broken_end = (f.unrecovered_final_error && !claims_done_end)
        || f.interrupt_at_end
        || f.final_text_midwork
        || matches!(f.last_test, Some((false, _)));
    let level = match hard.len() {
        0 => {
            let claims_done = f
                .final_text
                .as_ref()
                .is_some_and(|t| t.any(text::DONE_CLAIMS).is_some());
            let claims_not = f
                .final_text
                .as_ref()
                .is_some_and(|t| t.any(text::NOT_DONE_CLAIMS).is_some());
            let corroborated = (edited && f.successful_cmds_after_last_edit > 0)
                || f.prompts
                    .iter()
                    .any(|p| p.n > 0 && (p.affirm_weak || p.accept) && p.complaint.is_none())
                || (edited && claims_done)
                || (!edited && f.assistant_texts > 0 && f.reads + f.searches + f.shell + f.web > 0);
            if broken_end && fail_hard > 0 {
                notes.push("ending broken (unrecovered error, failing tests, interrupt or cut off mid-work)".into());
                if edited {
                    1
                } else {
                    0
                }
            } else if broken_end || claims_not {
                notes.push("ending not clean".into());
                1
            } else if corroborated {
                notes.push("clean ending with concrete corroboration (successful command after the change, artifact, acknowledgement)".into());
                3
            } else {
                notes.push("clean ending, nothing verifiable".into());
                2
            }
        }
        1 => 4,
        _ => 5,
    };
    if !hard.is_empty() {
        notes.push(format!("hard signals: {}", hard.join("; ")));
    }
    (Signal::from_level(level).unwrap_or(Signal::None), notes)
}

/// Failure signal (§3.7); also returns the number of hard failure signals.
pub fn failure_signal(f: &Features) -> (Signal, u32, Notes) {
    let mut hard = Vec::new();
    let n = f.prompts.len();
    let claims_done = f
        .final_text
        .as_ref()
        .is_some_and(|t| t.any(text::DONE_CLAIMS).is_some());
    let claims_not = f
        .final_text
        .as_ref()
        .is_some_and(|t| t.any(text::NOT_DONE_CLAIMS).is_some());
    // A failed command the agent then explains away in a clean summary fell short on one
    // dimension (moderate); one it leaves hanging is a hard signal.
    let final_err_hard = f.unrecovered_final_error
        && (f.final_text_midwork || (!claims_done && f.final_text_len < 400));
    if final_err_hard {
        hard.push("unrecovered error at the end".to_string());
    }
    if matches!(f.last_test, Some((false, _))) && f.tests_after_last_edit_passed == 0 {
        hard.push("tests failing at the end".into());
    }
    let complaints = f.prompts.iter().filter(|p| p.complaint.is_some()).count();
    let final_two = |p: &Prompt| p.n > 0 && p.n + 2 >= n;
    // The session ends on the user's complaint: nothing shows it was resolved.
    if let Some(p) = f
        .prompts
        .last()
        .filter(|p| p.complaint.is_some() && p.n > 0)
    {
        hard.push(format!(
            "the user's last prompt is a complaint (\"{}\")",
            p.complaint.unwrap_or("")
        ));
    }
    let frustrated: Vec<&Prompt> = f
        .prompts
        .iter()
        .filter(|p| p.frustration.is_some() && p.n > 0)
        .collect();
    // Later prompts in which the user pastes fresh errors: the agent's work failing in use.
    let error_reports = f
        .prompts
        .iter()
        .filter(|p| p.n > 0 && p.pasted_output && p.broken >= BROKEN)
        .count();
    if let Some(p) = frustrated.iter().find(|p| final_two(p)) {
        hard.push(format!(
            "frustration at the end (\"{}\")",
            p.frustration.unwrap_or("")
        ));
    } else if !frustrated.is_empty() && error_reports >= 2 {
        hard.push(format!(
            "frustration (\"{}\") over {error_reports} rounds of reported errors",
            frustrated[0].frustration.unwrap_or("")
        ));
    } else if error_reports >= 3 {
        hard.push(format!(
            "{error_reports} rounds of errors reported by the user"
        ));
    }
    let mut notes = Notes::new();
    let pushback = f
        .prompts
        .iter()
        .filter(|p| p.pushback && p.complaint.is_none())
        .count();
    // Recovered friction, weighted: a rejection redirects more often than it complains, and
    // a single exasperated aside that the session recovers from is friction, not failure.
    let trouble = pushback as f64
        + 0.5 * f.rejections as f64
        + complaints as f64
        + error_reports as f64
        + if frustrated.len() == 1 { 0.5 } else { 0.0 };
    let level = match hard.len() {
        0 => {
            let moderate = (complaints >= 1 && trouble >= 2.0)
                || trouble >= 4.0
                || frustrated.len() >= 2
                || claims_not
                || f.checks_failed_last
                || f.interrupt_at_end
                || f.unrecovered_final_error
                || (f.loop_max >= 4 && f.shell_errors >= 8);
            if moderate {
                notes.push(format!(
                    "moderate: {complaints} complaints, {pushback} pushback prompts, {} rejections, {error_reports} error reports, frustration {:?}, fell short in final words {claims_not}, final command failed {}, interrupted at the end {}, last check failed {}, long failing loop {}",
                    f.rejections,
                    frustrated.first().and_then(|p| p.frustration),
                    f.unrecovered_final_error,
                    f.interrupt_at_end,
                    f.checks_failed_last,
                    f.loop_max >= 4 && f.shell_errors >= 8
                ));
                3
            } else if trouble > 0.0 || f.interrupts > 0 || f.loop_max >= 2 || f.shell_errors >= 5 {
                notes.push(format!(
                    "soft, recovered: {complaints} complaints, {pushback} pushback prompts, {} rejections, {} interrupts, failing command retried {}x",
                    f.rejections, f.interrupts, f.loop_max
                ));
                2
            } else if f.shell_errors > 0 {
                notes.push(format!("{} failed commands, recovered", f.shell_errors));
                1
            } else {
                notes.push(format!(
                    "no trouble seen ({} tool-harness errors)",
                    f.errors
                ));
                0
            }
        }
        1 => 4,
        _ => 5,
    };
    if !hard.is_empty() {
        notes.push(format!("hard signals: {}", hard.join("; ")));
    }
    (
        Signal::from_level(level).unwrap_or(Signal::None),
        hard.len() as u32,
        notes,
    )
}

/// Outcome (§3.6) from the trajectory and the two signals.
pub fn outcome(f: &Features, mode: WorkMode, succ: Signal, fail: Signal) -> (Outcome, Notes) {
    let s = succ.level();
    let x = fail.level();
    let subst = f.substantive_prompts().count();
    let own_words: usize = f.substantive_prompts().map(|p| p.norm.words).sum();
    if subst == 0 || (own_words < 3 && f.edit_ok == 0) {
        return (
            Outcome::NoClearGoal,
            vec!["the user stated no objective".into()],
        );
    }
    // Questions about what exists, or greetings and small talk only (Communicate, no task).
    let exploratory = f.edit_ok == 0
        && (matches!(mode, WorkMode::Understand) || f.substantive_prompts().all(|p| p.greeting))
        && f.prompts
            .iter()
            .all(|p| p.norm.words < 8 && p.tech.named() == 0 && p.broken < BROKEN);
    if exploratory {
        return (
            Outcome::NoClearGoal,
            vec!["exploratory throughout, no concrete objective".into()],
        );
    }
    let thin_broken = f.edit_ok == 0
        && (f.final_text_midwork || f.interrupt_at_end)
        && (f.errors > 0 || f.unrecovered_final_error);
    let o = if thin_broken || (x >= 4 && s <= 1) || (x >= 5 && s <= 2) {
        Outcome::Failed
    } else if (x >= 4 && s <= 3) || (x >= 5 && s == 4) || (x >= 3 && s <= 1) {
        Outcome::PartiallySucceeded
    } else {
        Outcome::Succeeded
    };
    let why = match o {
        Outcome::Failed => "trajectory ends broken (hard failure signals outweigh success)",
        Outcome::PartiallySucceeded => "mixed: hard failure signals alongside some success",
        _ => "objective met or a clean on-task ending (the rubric's default for thin, clean sessions)",
    };
    (
        o,
        vec![format!("success signal {s}, failure signal {x}: {why}")],
    )
}

/// Task value (§3.8): a log-linear price of the work's size, calibrated so a single bug fix in an
/// existing app lands in the few-hundred-dollar range of real freelance postings.
pub fn task_value(f: &Features, t: &Telemetry, mode: WorkMode) -> (TaskValue, Notes) {
    // Unknown lines read as 0 (size then rests on files, actions and time).
    let (added, removed) = t.lines_or_zero();
    let lines = (added + removed) as f64;
    let files = t.files_touched.max(f.files_edited.len() as u32) as f64;
    let actions = t.actions as f64;
    let minutes = t
        .turn_seconds_total
        .map(|s| s / 60.0)
        .or_else(|| match (t.start_ms, t.end_ms) {
            (Some(a), Some(b)) if b > a => Some(((b - a) as f64 / 60_000.0).min(240.0)),
            _ => None,
        })
        .unwrap_or(actions * 0.5);
    let mode_factor = match mode {
        WorkMode::Plan => 0.9,
        WorkMode::Understand => 0.7,
        WorkMode::Communicate => 0.7,
        WorkMode::Analyze => 1.1,
        WorkMode::Operate => 1.0,
        WorkMode::Orchestrate => 1.0,
        WorkMode::Fix => 1.0,
        WorkMode::Test => 0.9,
        WorkMode::Build => 1.1,
    };
    // Scale: calibrated so single small changes fall in $10–200 and a day-long epic in
    // $1,000–5,000, as careful raters price them against fixed-price postings.
    let ln = 7.5f64.ln()
        + 0.35 * lines.ln_1p()
        + 0.30 * files.ln_1p()
        + 0.20 * actions.ln_1p()
        + 0.15 * minutes.max(0.0).ln_1p();
    let usd = (ln.exp() * mode_factor).clamp(10.0, 50_000.0);
    let usd = (usd * 100.0).round() / 100.0;
    let band = ValueBand::of_usd(usd);
    (
        TaskValue { usd, band },
        vec![format!(
            "{lines:.0} lines changed, {files:.0} files, {actions:.0} actions, {minutes:.0} min of agent work, mode {mode} (x{mode_factor}): ${usd:.0}, band {}",
            band.as_str()
        )],
    )
}
