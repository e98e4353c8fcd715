//! The feature vector of one session, computed locally from the session, its telemetry and the
//! heuristic's features and labels (one pass: the heuristic's extraction is reused).
//!
//! Three blocks, in this order:
//! 1. structure ([`DENSE`] values): telemetry, what was edited and run and in which order
//!    (tests after the last edit, errors after the last prompt, interrupts, rejections, plan
//!    files, deploy/CI commands, commits), who corrected whom, how the session ended, the
//!    user's cues (affirmation, complaints, pushback) first / anywhere / last, the heuristic's
//!    cue-list counts and its labels (one-hot);
//! 2. meaning ([`EMB_DIM`] values): the mean word embedding (`crate::embed`, wordllama) of the
//!    first substantive prompt and of all the substantive prompts;
//! 3. text: word unigrams and bigrams of the user's prompts, hashed into [`TEXT_BUCKETS`]
//!    buckets (log counts). Words are a weak signal on a few hundred labels: model selection
//!    decides per facet whether to use this block at all.
//!
//! Numbers are counts or log(1 + count); models standardise them. Changing anything here
//! changes [`FEATURES_VERSION`], which models record and check.

use agentstat_classify::heuristic::{features as hf, text, HeuristicBackend};
use agentstat_facets::{Labels, Occupation, Telemetry};
use agentstat_session::Session;

/// Version of the feature definitions; a model trained on other features is refused.
pub const FEATURES_VERSION: &str = "learn-features-3";

/// Features of the meaning block: the first prompt's and all prompts' mean embeddings.
pub const EMB_DIM: usize = 2 * crate::embed::DIMS;

/// Words of the user's prompts embedded (the first ones; a pasted log adds little meaning).
const EMB_WORDS_FIRST: usize = 400;
const EMB_WORDS_ALL: usize = 2_000;

/// Hash buckets of the text block.
pub const TEXT_BUCKETS: usize = 128;

/// Agents with their own indicator (others share one).
const AGENTS: [&str; 7] = [
    "claude-code",
    "codex-cli",
    "gemini-cli",
    "cursor",
    "aider",
    "openhands",
    "swe-agent",
];

/// The features of one session and the heuristic's labels for it.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// `dim()` values: the structural block, the meaning block, then the text block.
    pub x: Vec<f64>,
    /// The heuristic's labels (the fallback for facets the model does not take over).
    pub heuristic: Labels,
}

/// Number of structural features (the rules' outputs last).
pub fn dense_dim() -> usize {
    layout().1 - TEXT_BUCKETS - EMB_DIM
}

/// End of the meaning block (it starts at [`dense_dim`]).
pub fn meaning_end() -> usize {
    layout().1 - TEXT_BUCKETS
}

/// (index of the first rule output, total features), computed once.
fn layout() -> (usize, usize) {
    static LAYOUT: std::sync::OnceLock<(usize, usize)> = std::sync::OnceLock::new();
    *LAYOUT.get_or_init(|| {
        let n = names();
        (
            n.iter().position(|x| x.starts_with("h.")).unwrap_or(0),
            n.len(),
        )
    })
}

/// Index of the first feature of the heuristic's outputs (`h.*`, up to [`dense_dim`]).
pub fn rules_start() -> usize {
    layout().0
}

/// Total number of features.
pub fn dim() -> usize {
    layout().1
}

/// Feature names, in vector order (for inspection and docs).
pub fn names() -> Vec<String> {
    let f = hf::Features::default();
    let t = Telemetry::default();
    let (labels, _) = HeuristicBackend::run_on(&f, &t);
    let mut b = Builder {
        v: Vec::new(),
        names: Some(Vec::new()),
    };
    build(&mut b, &f, &t, &labels, "", Blocks::ALL);
    b.names.unwrap_or_default()
}

/// Which of the two costly blocks to compute (the structural block always is: the heuristic's
/// labels come with it). A block left out is zeros, so a model that reads none of its features
/// predicts exactly as with it: the learned backend computes only what its model reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocks {
    /// The meaning block (the prompts' mean embeddings: tokenising up to 2,400 words).
    pub meaning: bool,
    /// The text block (hashed word unigrams and bigrams of every substantive prompt).
    pub text: bool,
}

impl Blocks {
    pub const ALL: Blocks = Blocks {
        meaning: true,
        text: true,
    };
    pub const NONE: Blocks = Blocks {
        meaning: false,
        text: false,
    };

    /// The blocks that features `r` read.
    pub fn reading(r: std::ops::Range<usize>) -> Blocks {
        Blocks {
            meaning: r.start < meaning_end() && r.end > dense_dim(),
            text: r.end > meaning_end(),
        }
    }

    pub fn union(self, o: Blocks) -> Blocks {
        Blocks {
            meaning: self.meaning || o.meaning,
            text: self.text || o.text,
        }
    }
}

/// Extract every feature of a session.
pub fn extract(session: &Session, t: &Telemetry) -> Extracted {
    extract_from(&hf::extract(session), session, t, Blocks::ALL)
}

/// The features of a session from its heuristic features (extracted once for the habits and
/// the classifier), computing only `blocks` of the optional ones.
pub fn extract_from(
    f: &hf::Features,
    session: &Session,
    t: &Telemetry,
    blocks: Blocks,
) -> Extracted {
    let (heuristic, _) = HeuristicBackend::run_on(f, t);
    let mut b = Builder {
        v: Vec::with_capacity(dim()),
        names: None,
    };
    build(&mut b, f, t, &heuristic, &session.agent.name, blocks);
    Extracted { x: b.v, heuristic }
}

/// A feature's name, built only when names are being collected (not on every prediction).
macro_rules! nm {
    ($b:expr, $($t:tt)*) => {
        if $b.names.is_some() { format!($($t)*) } else { String::new() }
    };
}

struct Builder {
    v: Vec<f64>,
    names: Option<Vec<String>>,
}

impl Builder {
    fn raw(&mut self, name: &str, x: f64) {
        self.v.push(if x.is_finite() { x } else { 0.0 });
        if let Some(n) = &mut self.names {
            n.push(name.to_string());
        }
    }
    fn log(&mut self, name: &str, x: f64) {
        self.raw(name, x.max(0.0).ln_1p());
    }
    fn flag(&mut self, name: &str, b: bool) {
        self.raw(name, if b { 1.0 } else { 0.0 });
    }
    fn one_hot(&mut self, prefix: &str, classes: &[&str], which: Option<usize>) {
        for (i, c) in classes.iter().enumerate() {
            self.flag(&nm!(self, "{prefix}={c}"), which == Some(i));
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

const CMD_KEYS: [&str; 13] = [
    "test", "check", "commit", "push", "pr", "gitops", "gitread", "ops", "install", "data",
    "build", "inspect", "other",
];

const CUES: [(&str, &[&str]); 13] = [
    ("plan", text::PLAN_WORDS),
    ("understand", text::UNDERSTAND_WORDS),
    ("test", text::TEST_WORDS),
    ("ops", text::OPS_WORDS),
    ("analyze", text::ANALYZE_WORDS),
    ("orchestrate", text::ORCH_WORDS),
    ("communicate", text::COMM_WORDS),
    ("structural", text::STRUCTURAL),
    ("affirm", text::AFFIRM),
    ("complain", text::COMPLAIN),
    ("broken", text::BROKEN_STRONG),
    ("pushback", text::PUSHBACK_ANY),
    ("verify", text::VERIFY_TARGETED),
];

fn build(
    b: &mut Builder,
    f: &hf::Features,
    t: &Telemetry,
    h: &Labels,
    agent: &str,
    blocks: Blocks,
) {
    // Agent.
    for a in AGENTS {
        b.flag(&nm!(b, "agent={a}"), agent == a);
    }
    b.flag("agent=other", !AGENTS.contains(&agent));

    // Telemetry.
    let turns = t.human_turns as f64;
    b.log("t.human_turns", turns);
    b.log("t.queued_prompts", t.queued_prompts as f64);
    // Unknown read as 0, as before calls could be unknown (the embedded model is unchanged).
    b.log("t.model_calls", t.model_calls.unwrap_or(0) as f64);
    b.log("t.actions", t.actions as f64);
    b.raw(
        "t.action_success_rate",
        ratio(t.successful_actions as f64, t.actions as f64),
    );
    for (i, k) in [
        "read", "search", "edit", "write", "shell", "web", "subagent", "plan", "other",
    ]
    .iter()
    .enumerate()
    {
        b.log(&nm!(b, "t.actions.{k}"), t.actions_by_kind[i] as f64);
        b.raw(
            &nm!(b, "t.actions_share.{k}"),
            ratio(t.actions_by_kind[i] as f64, t.actions as f64),
        );
    }
    b.log("t.subagents", t.subagents as f64);
    b.log("t.actions_per_prompt", t.actions_per_prompt);
    b.log("t.words_per_prompt", t.words_per_prompt);
    b.log("t.output_words", t.output_words as f64);
    // Unknown lines read as 0, the value the embedded model was fitted on.
    let (added, removed) = t.lines_or_zero();
    b.log("t.lines_added", added as f64);
    b.log("t.lines_removed", removed as f64);
    b.log("t.files_touched", t.files_touched as f64);
    b.log("t.git_commits", t.git_commits as f64);
    b.log("t.git_pushes", t.git_pushes as f64);
    b.log("t.pull_requests", t.pull_requests as f64);
    b.log("t.test_runs", t.test_runs as f64);
    b.log("t.test_runs_passed", t.test_runs_passed as f64);
    b.log("t.test_runs_failed", t.test_runs_failed as f64);
    b.flag("t.last_test_passed", t.last_test_passed == Some(true));
    b.flag("t.last_test_failed", t.last_test_passed == Some(false));
    b.log("t.tool_errors", t.tool_errors as f64);
    b.raw(
        "t.tool_error_rate",
        ratio(t.tool_errors as f64, t.actions as f64),
    );
    b.log("t.interrupts", t.interrupts as f64);
    b.log("t.rejections", t.rejections as f64);
    b.log("t.compactions", t.compactions as f64);
    b.raw("t.auto_approve_share", t.auto_approve_share.unwrap_or(0.0));
    b.log(
        "t.turn_seconds_median",
        t.turn_seconds_median.unwrap_or(0.0),
    );
    b.log("t.turn_seconds_total", t.turn_seconds_total.unwrap_or(0.0));
    let minutes = match (t.start_ms, t.end_ms) {
        (Some(s), Some(e)) if e > s => (e - s) as f64 / 60_000.0,
        _ => 0.0,
    };
    b.log("t.duration_minutes", minutes);

    // Edits: what kind of files, created or existing.
    for c in hf::FileCat::ALL {
        b.log(&nm!(b, "edit_weight.{}", c.as_str()), f.weight(c));
        b.raw(
            &nm!(b, "edit_share.{}", c.as_str()),
            ratio(f.weight(c), f.total_edit_weight()),
        );
        b.log(
            &nm!(b, "edit_files.{}", c.as_str()),
            f.cat_files[c.idx()] as f64,
        );
    }
    b.log("edit_actions", f.edit_actions as f64);
    b.raw(
        "edit_ok_rate",
        ratio(f.edit_ok as f64, f.edit_actions as f64),
    );
    b.log("new_file_lines", f.new_file_lines as f64);
    b.log("existing_file_lines", f.existing_file_lines as f64);
    b.raw(
        "new_line_share",
        ratio(
            f.new_file_lines as f64,
            (f.new_file_lines + f.existing_file_lines) as f64,
        ),
    );
    b.log("lines_changed", f.lines_changed as f64);
    b.log("files_edited", f.files_edited.len() as f64);
    b.log("files_created", f.files_created.len() as f64);
    b.log("files_read", f.files_read.len() as f64);
    b.log("code_files_read", f.code_files_read as f64);
    b.log("reads", f.reads as f64);
    b.log("searches", f.searches as f64);
    b.log("web", f.web as f64);
    b.log("subagent_calls", f.subagent_calls as f64);
    b.log("shell", f.shell as f64);
    for k in CMD_KEYS {
        b.log(&nm!(b, "cmd.{k}"), f.cmd(k) as f64);
    }
    b.log("shell_families", f.shell_families.len() as f64);

    // Planning.
    b.log("exit_plan", f.exit_plan as f64);
    b.log("exit_plan_approved", f.exit_plan_approved as f64);
    b.log("plan_rejections", f.plan_rejections as f64);
    b.log("todo_plans", f.todo_plans as f64);
    b.log("ask_user", f.ask_user as f64);

    // Verification after the last edit, and how the session ended.
    b.log(
        "tests_after_last_edit_passed",
        f.tests_after_last_edit_passed as f64,
    );
    b.log(
        "tests_after_last_edit_failed",
        f.tests_after_last_edit_failed as f64,
    );
    b.flag(
        "last_test_passed_after_edit",
        f.last_test == Some((true, true)),
    );
    b.flag(
        "last_test_failed_after_edit",
        f.last_test == Some((false, true)),
    );
    b.flag(
        "last_test_passed_before_edit",
        f.last_test == Some((true, false)),
    );
    b.flag(
        "last_test_failed_before_edit",
        f.last_test == Some((false, false)),
    );
    b.log(
        "checks_ok_after_last_edit",
        f.checks_ok_after_last_edit as f64,
    );
    b.flag("checks_failed_last", f.checks_failed_last);
    b.log("commits_ok", f.commits_ok as f64);
    b.flag("commit_after_last_edit", f.commit_after_last_edit);
    b.log("pushes_ok", f.pushes_ok as f64);
    b.log("prs_created", f.prs_created as f64);
    b.log("pr_links", f.pr_links as f64);
    b.log(
        "successful_cmds_after_last_edit",
        f.successful_cmds_after_last_edit as f64,
    );
    let n_prompts = f.prompts.len() as f64;
    b.flag("has_edit", f.last_edit_pos.is_some());
    b.raw(
        "last_edit_position",
        f.last_edit_pos
            .map_or(0.0, |p| ratio(p as f64 + 1.0, n_prompts)),
    );

    // Trouble.
    b.log("errors", f.errors as f64);
    b.log(
        "errors_after_last_prompt",
        f.errors_after_last_prompt as f64,
    );
    b.log("shell_errors", f.shell_errors as f64);
    b.flag("unrecovered_final_error", f.unrecovered_final_error);
    b.log("loop_max", f.loop_max as f64);
    b.log("interrupts", f.interrupts as f64);
    b.flag("interrupt_at_end", f.interrupt_at_end);
    b.log("rejections", f.rejections as f64);

    // The agent's side.
    b.flag("final_text", f.final_text.is_some());
    b.flag("final_text_midwork", f.final_text_midwork);
    b.flag("final_is_question", f.final_is_question);
    b.flag("ends_on_prompt", f.ends_on_prompt);
    b.log("final_text_len", f.final_text_len as f64);
    b.log("agent_concedes", f.agent_concedes as f64);
    b.log("agent_proposals", f.agent_proposals as f64);
    b.log("agent_corrects", f.agent_corrects as f64);
    b.log("assistant_texts", f.assistant_texts as f64);
    b.flag("system_claude_md", f.system_claude_md);
    b.log("slash_commands", f.commands.len() as f64);
    let final_norm = f.final_text.as_ref();
    for (name, list) in [
        ("broken_strong", text::BROKEN_STRONG),
        ("broken_weak", text::BROKEN_WEAK),
        ("affirm", text::AFFIRM),
    ] {
        b.log(
            &nm!(b, "final_text.{name}"),
            final_norm.map_or(0, |n| n.count(list)) as f64,
        );
    }

    // The user's prompts: cues overall, in the first and in the last prompt.
    let ps = &f.prompts;
    let sum = |g: &dyn Fn(&hf::Prompt) -> f64| ps.iter().map(g).sum::<f64>();
    b.log("prompts", n_prompts);
    b.log(
        "substantive_prompts",
        f.substantive_prompts().count() as f64,
    );
    b.log("prompt_chars", sum(&|p| p.chars as f64));
    b.log("prompt_words", sum(&|p| p.norm.words as f64));
    type Cue<'a> = (&'a str, &'a dyn Fn(&hf::Prompt) -> f64);
    let cues: [Cue; 10] = [
        ("accept", &|p| p.accept as u8 as f64),
        ("broken", &|p| p.broken as f64),
        ("affirm", &|p| p.affirm as u8 as f64),
        ("affirm_weak", &|p| p.affirm_weak as u8 as f64),
        ("complaint", &|p| p.complaint.is_some() as u8 as f64),
        ("frustration", &|p| p.frustration.is_some() as u8 as f64),
        ("pushback", &|p| p.pushback as u8 as f64),
        ("after_agent_question", &|p| {
            p.after_agent_question as u8 as f64
        }),
        ("pasted_output", &|p| p.pasted_output as u8 as f64),
        ("plan_mode", &|p| p.plan_mode as u8 as f64),
    ];
    let last = ps.last();
    let later: Vec<&hf::Prompt> = ps.iter().skip(1).collect();
    for (name, g) in cues {
        b.log(&nm!(b, "prompts.{name}"), sum(g));
        b.raw(&nm!(b, "prompts_share.{name}"), ratio(sum(g), n_prompts));
        b.raw(
            &nm!(b, "later_prompts_share.{name}"),
            ratio(later.iter().map(|p| g(p)).sum::<f64>(), later.len() as f64),
        );
        b.log(&nm!(b, "last_prompt.{name}"), last.map_or(0.0, g));
    }
    let first = f.substantive_prompts().next();
    b.log("first_prompt_chars", first.map_or(0, |p| p.chars) as f64);
    b.log(
        "first_prompt_words",
        first.map_or(0, |p| p.norm.words) as f64,
    );
    let tt = first.map(|p| p.tech).unwrap_or_default();
    b.log("first_prompt.identifiers", tt.identifiers as f64);
    b.log("first_prompt.backticks", tt.backticks as f64);
    b.log("first_prompt.flags", tt.flags as f64);
    b.log("first_prompt.versions", tt.versions as f64);
    b.log("first_prompt.paths", tt.paths as f64);
    b.log("first_prompt.urls", tt.urls as f64);
    b.log("prompts.named_tokens", sum(&|p| p.tech.named() as f64));
    let subst = text::Texts::new(f.substantive_prompts().map(|p| &p.norm));
    for (name, list) in CUES {
        let cands = &subst.candidates(list)[..];
        b.log(
            &nm!(b, "first_prompt.cue.{name}"),
            first.map_or(0, |p| p.norm.count(cands)) as f64,
        );
        b.log(&nm!(b, "prompts.cue.{name}"), subst.count_sum(cands) as f64);
        b.log(
            &nm!(b, "commands.cue.{name}"),
            f.commands.iter().map(|n| n.count(list)).sum::<usize>() as f64,
        );
    }
    b.log(
        "side_words.cue.ops",
        f.side_words.count(text::OPS_WORDS) as f64,
    );
    b.log(
        "side_words.cue.analyze",
        f.side_words.count(text::ANALYZE_WORDS) as f64,
    );

    // The heuristic's labels, one-hot.
    use crate::facet::LearnedFacet as LF;
    for facet in LF::ALL {
        let which = facet.of_labels(h);
        match facet {
            LF::UserProfile | LF::WorkPerformed => {
                // 24 occupations are mostly empty: software, unclear, other.
                let sw = Occupation::ComputerMath.index();
                let unclear = facet == LF::UserProfile && which == Some(Occupation::ALL.len());
                b.flag(&nm!(b, "h.{}=software", facet.name()), which == Some(sw));
                b.flag(&nm!(b, "h.{}=unclear", facet.name()), unclear);
                b.flag(
                    &nm!(b, "h.{}=other", facet.name()),
                    which.is_some() && which != Some(sw) && !unclear,
                );
            }
            _ => b.one_hot(&nm!(b, "h.{}", facet.name()), &facet.classes(), which),
        }
    }
    let d = h.decisions.value.unwrap_or_default();
    b.log("h.planning_user", d.planning_user as f64);
    b.log("h.planning_agent", d.planning_agent as f64);
    b.log("h.execution_user", d.execution_user as f64);
    b.log("h.execution_agent", d.execution_agent as f64);
    b.log(
        "h.task_value_usd",
        h.task_value.value.map_or(0.0, |v| v.usd),
    );

    // Meaning block: mean embeddings of the first substantive prompt and of all of them.
    if b.names.is_some() {
        for i in 0..crate::embed::DIMS {
            b.raw(&format!("emb.first.{i}"), 0.0);
        }
        for i in 0..crate::embed::DIMS {
            b.raw(&format!("emb.all.{i}"), 0.0);
        }
    } else if blocks.meaning {
        let (first, all) = meaning(f);
        for v in first.into_iter().chain(all) {
            b.raw("", v as f64);
        }
    } else {
        b.v.resize(b.v.len() + EMB_DIM, 0.0);
    }

    // Text block: hashed word unigrams and bigrams of the substantive prompts.
    if b.names.is_some() {
        for i in 0..TEXT_BUCKETS {
            b.log(&format!("text.{i}"), 0.0);
        }
    } else if blocks.text {
        let mut buckets = [0u32; TEXT_BUCKETS];
        for p in f.substantive_prompts() {
            // FNV-1a runs left to right, so a bigram's hash continues from its first word's
            // (`bucket(&[pw, w])` without hashing `pw` again).
            let mut prev: Option<u64> = None;
            for w in p.norm.padded.split(' ').filter(|w| !w.is_empty()) {
                let uni = fnv_word(FNV_OFFSET, w);
                buckets[(uni % TEXT_BUCKETS as u64) as usize] += 1;
                if let Some(ph) = prev {
                    buckets[(fnv_word(ph, w) % TEXT_BUCKETS as u64) as usize] += 1;
                }
                prev = Some(uni);
            }
        }
        for c in buckets {
            b.log("", c as f64);
        }
    } else {
        b.v.resize(b.v.len() + TEXT_BUCKETS, 0.0);
    }
}

/// The unit mean embeddings of the first substantive prompt's first [`EMB_WORDS_FIRST`] words
/// and of the substantive prompts' first [`EMB_WORDS_ALL`] words. One pass: the second text
/// starts with the first, tokens are per word, and the sums run in token order, so the first
/// sum is the second's prefix, bit for bit.
fn meaning(f: &hf::Features) -> ([f32; crate::embed::DIMS], [f32; crate::embed::DIMS]) {
    let table = crate::embed::Table::embedded();
    let mut sum = crate::embed::Sum::default();
    let mut prompts = f.substantive_prompts();
    let Some(p0) = prompts.next() else {
        return (sum.unit(), sum.unit());
    };
    let head = head_words(&p0.norm.padded, EMB_WORDS_FIRST);
    sum.add_text(table, head);
    let first = sum.unit();
    let all0 = head_words(&p0.norm.padded, EMB_WORDS_ALL);
    if let Some(rest) = all0[head.len()..].strip_prefix(' ') {
        sum.add_text(table, rest);
    }
    let mut budget = EMB_WORDS_ALL.saturating_sub(p0.norm.words);
    for p in prompts {
        if budget == 0 {
            break;
        }
        sum.add_text(table, head_words(&p.norm.padded, budget));
        budget = budget.saturating_sub(p.norm.words);
    }
    (first, sum.unit())
}

/// The first `n` words of a normalised text (" a b c "), trimmed.
fn head_words(padded: &str, n: usize) -> &str {
    let t = padded.trim_matches(' ');
    match t.match_indices(' ').nth(n.saturating_sub(1)) {
        Some((i, _)) if n > 0 => &t[..i],
        _ if n == 0 => "",
        _ => t,
    }
}

/// The bucket of a word n-gram (FNV-1a over the words with a separator).
#[cfg(test)]
fn bucket(words: &[&str]) -> usize {
    (words.iter().fold(FNV_OFFSET, |h, w| fnv_word(h, w)) % TEXT_BUCKETS as u64) as usize
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a from state `h` over a word and a separating space.
fn fnv_word(mut h: u64, w: &str) -> u64 {
    for &c in w.as_bytes().iter().chain(b" ") {
        h ^= c as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_match_the_vector_length() {
        let n = names();
        let mut sorted = n.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), n.len(), "duplicate feature names");
        assert_eq!(dim(), n.len());
        assert!(dense_dim() > 100);
        assert!(n[dense_dim()..meaning_end()]
            .iter()
            .all(|x| x.starts_with("emb.")));
        assert_eq!(meaning_end() - dense_dim(), EMB_DIM);
        assert!(n[meaning_end()..].iter().all(|x| x.starts_with("text.")));
        assert!(n[..dense_dim()].iter().all(|x| !x.starts_with("text.")));
        assert!(n[rules_start()..dense_dim()]
            .iter()
            .all(|x| x.starts_with("h.")));
    }

    #[test]
    fn meaning_in_one_pass_equals_the_two_embeddings() {
        let vocab = [
            "fix", "the", "parser", "test", "fails", "on", "utf", "8", "input", "please",
        ];
        let text = |n: usize, k: usize| -> String {
            (0..n)
                .map(|i| vocab[(i * k + i / 7) % vocab.len()])
                .collect::<Vec<_>>()
                .join(" ")
        };
        let table = crate::embed::Table::embedded();
        for sizes in [
            vec![],
            vec![3],
            vec![650, 5, 700, 900],
            vec![120, 30],
            vec![400, 1600, 2],
        ] {
            let mut f = hf::Features::default();
            for (k, n) in sizes.iter().enumerate() {
                f.prompts.push(hf::Prompt {
                    norm: text::Norm::new(&text(*n, k + 1)),
                    ..Default::default()
                });
            }
            // As first written: two embeddings, the first prompt's words tokenised twice.
            let first = table.embed(
                f.substantive_prompts()
                    .next()
                    .map(|p| head_words(&p.norm.padded, EMB_WORDS_FIRST)),
            );
            let mut budget = EMB_WORDS_ALL;
            let all = table.embed(
                f.substantive_prompts()
                    .map_while(|p| {
                        (budget > 0).then(|| {
                            let t = head_words(&p.norm.padded, budget);
                            budget = budget.saturating_sub(p.norm.words);
                            t
                        })
                    })
                    .collect::<Vec<_>>(),
            );
            let (a, b) = meaning(&f);
            let bits = |x: [f32; crate::embed::DIMS]| x.map(f32::to_bits);
            assert_eq!(bits(a), bits(first), "{sizes:?}");
            assert_eq!(bits(b), bits(all), "{sizes:?}");
            assert_eq!(sizes.is_empty(), a == [0.0; crate::embed::DIMS]);
        }
    }

    #[test]
    fn text_buckets_are_the_hashed_unigrams_and_bigrams() {
        // The bucket of a word n-gram as first written: FNV-1a over the words with a separator.
        let first = |words: &[&str]| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for w in words {
                for &c in w.as_bytes().iter().chain(b" ") {
                    h ^= c as u64;
                    h = h.wrapping_mul(0x0000_0100_0000_01b3);
                }
            }
            (h % TEXT_BUCKETS as u64) as usize
        };
        let texts = [
            "fix the parser test",
            "the parser fails on utf 8 input",
            "yes",
            "a a a",
        ];
        let mut want = [0u32; TEXT_BUCKETS];
        let mut f = hf::Features::default();
        for t in texts {
            let words: Vec<&str> = t.split(' ').collect();
            for (i, w) in words.iter().enumerate() {
                want[first(&[w])] += 1;
                if i > 0 {
                    want[first(&[words[i - 1], w])] += 1;
                }
            }
            f.prompts.push(hf::Prompt {
                norm: text::Norm::new(t),
                ..Default::default()
            });
        }
        assert_eq!(bucket(&["the", "parser"]), first(&["the", "parser"]));
        let mut b = Builder {
            v: Vec::new(),
            names: None,
        };
        let (labels, _) = HeuristicBackend::run_on(&f, &Telemetry::default());
        build(&mut b, &f, &Telemetry::default(), &labels, "", Blocks::ALL);
        let got = &b.v[meaning_end()..];
        let want: Vec<f64> = want.iter().map(|c| (*c as f64).ln_1p()).collect();
        assert_eq!(got, &want[..]);
        assert!(want.iter().any(|x| *x > 1.0));
    }

    #[test]
    fn head_words_cuts_at_word_boundaries() {
        assert_eq!(head_words(" a bb c ", 2), "a bb");
        assert_eq!(head_words(" a bb c ", 3), "a bb c");
        assert_eq!(head_words(" a bb c ", 9), "a bb c");
        assert_eq!(head_words(" a bb c ", 0), "");
        assert_eq!(head_words(" ", 4), "");
    }
}
