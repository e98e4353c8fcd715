//! Session → telemetry numbers (rubric §2), deterministic and from the transcript alone.
//!
//! [`measure`] fills every field of [`Telemetry`]. The rules (what counts as a commit, a test
//! run, a line added, …) are documented in `docs/TELEMETRY.md`; the shell-command analysis is
//! in [`shell`], the line counting in [`lines`].

pub mod lines;
pub mod shell;
pub mod shell_writes;

use agentstat_facets::{vocab, Telemetry};
use agentstat_session::{month_of, Action, ActionKind, Event, ResultStatus, Session};
use std::collections::{BTreeMap, BTreeSet};

/// Version of the telemetry rules; bump when any count may change (facet caches key on it).
pub const TELEMETRY_VERSION: &str = "telemetry-9";

/// Permission modes in which edits run without asking (rubric: auto-approve share).
pub const AUTO_APPROVE_MODES: [&str; 4] = ["acceptEdits", "bypassPermissions", "dontAsk", "auto"];

/// Measure one session. Counts include subagent work except where noted (output words are
/// the main agent's visible text, the only text the person reads).
pub fn measure(session: &Session) -> Telemetry {
    let mut t = Telemetry::default();

    // Prompts.
    let mut modes: Vec<&str> = Vec::new();
    for h in session.human_turns() {
        t.human_turns += 1;
        if h.queued {
            t.queued_prompts += 1;
        }
        if let Some(m) = h.permission_mode.as_deref() {
            modes.push(m);
        }
    }
    if !modes.is_empty() {
        let auto = modes
            .iter()
            .filter(|m| AUTO_APPROVE_MODES.contains(m))
            .count();
        t.auto_approve_share = Some(auto as f64 / modes.len() as f64);
        t.permission_mode = most_frequent(&modes).map(vocab::permission_mode);
    }

    // Model calls and tokens (`<synthetic>` messages are written by the CLI, not API calls).
    // Calls per model, all and the main agent's (the person's choice; subagents such as
    // Explore often run a smaller model).
    let mut per_model: BTreeMap<&str, u32> = BTreeMap::new();
    let mut main_model: BTreeMap<&str, u32> = BTreeMap::new();
    let (mut tokens_out, mut tokens_in) = (0u64, 0u64);
    let mut calls = 0u32;
    for c in &session.model_calls {
        if c.model.as_deref() == Some("<synthetic>") {
            continue;
        }
        calls += 1;
        // Saturating: a damaged or forged count (ingest warns about it) cannot wrap a sum.
        tokens_out = tokens_out.saturating_add(c.output_tokens);
        tokens_in = tokens_in
            .saturating_add(c.input_tokens)
            .saturating_add(c.cache_read_tokens)
            .saturating_add(c.cache_creation_tokens);
        if let Some(m) = c.model.as_deref().filter(|m| !m.is_empty()) {
            *per_model.entry(m).or_default() += 1;
            if c.subagent.is_none() {
                *main_model.entry(m).or_default() += 1;
            }
        }
    }
    if per_model.is_empty() {
        // Fall back to models named on assistant text (agents that record no usage).
        for e in &session.events {
            if let Event::AssistantText(a) = e {
                if let Some(m) = a
                    .model
                    .as_deref()
                    .filter(|m| !m.is_empty() && *m != "<synthetic>")
                {
                    *per_model.entry(m).or_default() += 1;
                }
            }
        }
    }
    // Model ids and modes are transcript text: only their closed forms are kept (facets::vocab).
    t.models = per_model.keys().map(|m| vocab::model_id(m)).collect();
    t.models.sort();
    t.models.dedup();
    let family_from = if main_model.is_empty() {
        &per_model
    } else {
        &main_model
    };
    t.model_family = family_from
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(m, _)| model_family(m));

    // Events.
    let mut files: BTreeSet<std::borrow::Cow<'_, str>> = BTreeSet::new();
    let (mut added, mut removed) = (0u64, 0u64);
    // A file changed by an edit or shell write whose size the transcript does not show.
    let mut unsized_write = false;
    let mut prs: BTreeSet<String> = session.pr_links.iter().map(|u| normalize_pr(u)).collect();
    let mut unnamed_prs = 0u32;
    // Interrupted tool calls not (yet) followed by an interrupt marker.
    let mut unmarked_interrupt = false;
    for e in &session.events {
        match e {
            Event::AssistantText(a) if a.subagent.is_none() => {
                t.output_words = t.output_words.saturating_add(count_words(&a.text));
            }
            Event::Interrupt { .. } => {
                t.interrupts += 1;
                unmarked_interrupt = false;
            }
            Event::Human(_) if unmarked_interrupt => {
                t.interrupts += 1;
                unmarked_interrupt = false;
            }
            Event::Action(a) => {
                t.actions += 1;
                t.actions_by_kind[kind_index(a.kind)] += 1;
                match a.result.status {
                    ResultStatus::Ok => t.successful_actions += 1,
                    ResultStatus::Error => t.tool_errors += 1,
                    ResultStatus::Rejected => t.rejections += 1,
                    ResultStatus::Interrupted => unmarked_interrupt = true,
                    ResultStatus::Missing => {}
                }
                if matches!(a.kind, ActionKind::Edit | ActionKind::Write)
                    && a.result.status == ResultStatus::Ok
                {
                    match a.result.lines.or_else(|| lines::lines_from_input(a)) {
                        Some(d) => {
                            added = added.saturating_add(d.added);
                            removed = removed.saturating_add(d.removed);
                        }
                        None => unsized_write = true,
                    }
                    if let Some(p) = a.file_path() {
                        files.insert(p);
                    }
                }
                if a.kind == ActionKind::Shell {
                    // The command is read from the input's raw JSON once for both questions.
                    let cmd = a.command();
                    if let Some(cmd) = cmd.as_deref() {
                        shell_action(a, cmd, &mut t, &mut prs, &mut unnamed_prs);
                    }
                    if a.result.status == ResultStatus::Ok {
                        // Files written through the shell, and their lines when the command
                        // carries them (shell_writes.rs).
                        if let Some(cmd) = cmd.as_deref() {
                            for w in shell_writes::shell_writes(cmd) {
                                match w.lines {
                                    Some(n) => added = added.saturating_add(n),
                                    None => unsized_write = true,
                                }
                                files.insert(std::borrow::Cow::Owned(w.path));
                            }
                        }
                    }
                } else if is_pr_tool(&a.tool) && a.result.status == ResultStatus::Ok {
                    let urls = shell::pr_urls(&a.result.output);
                    if urls.is_empty() {
                        unnamed_prs += 1;
                    }
                    prs.extend(urls.iter().map(|u| normalize_pr(u)));
                }
            }
            _ => {}
        }
    }
    // One Esc during tool calls marks every running call interrupted and usually writes one
    // marker: a run of interrupted calls counts once, and not again when its marker follows.
    if unmarked_interrupt {
        t.interrupts += 1;
    }
    t.files_touched = files.len() as u32;
    let known = knowable(
        session,
        added,
        removed,
        unsized_write,
        tokens_in,
        tokens_out,
        calls,
    );
    t.lines_added = known.lines_added;
    t.lines_removed = known.lines_removed;
    t.input_tokens = known.input_tokens;
    t.output_tokens = known.output_tokens;
    t.model_calls = known.model_calls;
    if let Some(tr) = session.tracked_lines {
        // Lines the agent's tool recorded outside the transcript (Cursor's AI code tracking):
        // both counts are lower bounds of the lines added, so the larger one is kept; removed
        // lines are not recorded there.
        t.lines_added = Some(t.lines_added.map_or(tr.lines, |n| n.max(tr.lines)));
        t.files_touched = t.files_touched.max(tr.files);
    }
    t.pull_requests = prs.len() as u32 + unnamed_prs;
    // Subagents: those folded in, or launched (Task/Agent calls) when their files were not kept.
    let folded = session
        .subagents
        .iter()
        .filter(|s| !s.is_compaction)
        .count() as u32;
    t.subagents = folded.max(t.actions_by_kind[kind_index(ActionKind::Subagent)]);
    t.compactions = session.compactions.max(
        session
            .events
            .iter()
            .filter(|e| matches!(e, Event::Compaction { .. }))
            .count() as u32,
    );

    if t.human_turns > 0 {
        t.actions_per_prompt = t.actions as f64 / t.human_turns as f64;
        t.words_per_prompt = t.output_words as f64 / t.human_turns as f64;
    }

    // Turn durations.
    let turns = turn_durations(session);
    if !turns.is_empty() {
        t.turn_seconds_total = Some(turns.iter().sum());
        t.turn_seconds_median = Some(median(&turns));
    }

    if let Some((lo, hi)) = session.time_range() {
        t.start_ms = Some(lo);
        t.end_ms = Some(hi);
        t.month = Some(month_of(lo));
    }
    t
}

/// The measures a transcript may not tell, each `None` when it cannot.
struct Knowable {
    lines_added: Option<u64>,
    lines_removed: Option<u64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    model_calls: Option<u32>,
}

/// What the transcript can tell of lines, tokens and requests (docs/TELEMETRY.md, "Unknown, not
/// zero"): lines are unknown when files were changed but no change shows its size (a known
/// count, even partial, stays known); input or output tokens are unknown when the agent answered
/// but no request carried such a count (formats that record none, or a session whose usage
/// records are missing); model calls are unknown when the agent answered but no request was
/// recorded at all (Cursor's transcripts, SpecStory exports).
fn knowable(
    session: &Session,
    added: u64,
    removed: u64,
    unsized_write: bool,
    tokens_in: u64,
    tokens_out: u64,
    calls: u32,
) -> Knowable {
    let lines_known = !(unsized_write && added == 0 && removed == 0);
    let answered = session
        .events
        .iter()
        .any(|e| matches!(e, Event::AssistantText(_) | Event::Action(_)));
    // Each direction on its own: some formats record output tokens only (Copilot CLI).
    let known = |n: u64| (n > 0 || !answered).then_some(n);
    Knowable {
        lines_added: lines_known.then_some(added),
        lines_removed: lines_known.then_some(removed),
        input_tokens: known(tokens_in),
        output_tokens: known(tokens_out),
        model_calls: (calls > 0 || !answered).then_some(calls),
    }
}

/// `s.split_whitespace().count()`, with ASCII text classified eight bytes at a time (word
/// counting runs over all of the agent's visible text).
pub fn count_words(s: &str) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let b = s.as_bytes();
    let mut n = 0u64;
    let mut prev_space = true;
    let mut i = 0;
    while i < b.len() {
        if let Some(chunk) = b.get(i..i + 8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(chunk);
            let x = u64::from_le_bytes(a);
            if x & HIGH == 0 {
                // Every byte < 0x80, so no per-byte sum below carries into the next byte.
                // char::is_whitespace on ASCII: space, and tab..=CR (9..=13).
                let t = x ^ (ONES * 0x20);
                let eq_space = !((t + ONES * 0x7f) | t) & HIGH;
                let ge9 = (x + ONES * (0x80 - 9)) & HIGH;
                let le13 = !(x + ONES * (0x7f - 13)) & HIGH;
                let space = eq_space | (ge9 & le13);
                let before = (space << 8) | if prev_space { 0x80 } else { 0 };
                n += u64::from((!space & HIGH & before).count_ones());
                prev_space = space >> 63 == 1;
                i += 8;
                continue;
            }
        }
        let c = b[i];
        let (space, w) = if c < 0x80 {
            (c == b' ' || (b'\t'..=b'\r').contains(&c), 1)
        } else {
            match s.get(i..).and_then(|r| r.chars().next()) {
                Some(ch) => (ch.is_whitespace(), ch.len_utf8()),
                None => (false, 1),
            }
        };
        n += u64::from(prev_space && !space);
        prev_space = space;
        i += w;
    }
    n
}

fn kind_index(k: ActionKind) -> usize {
    ActionKind::ALL
        .iter()
        .position(|x| *x == k)
        .unwrap_or(ActionKind::ALL.len() - 1)
}

fn most_frequent<'a>(xs: &[&'a str]) -> Option<&'a str> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for x in xs {
        match counts.iter_mut().find(|(k, _)| k == x) {
            Some((_, n)) => *n += 1,
            None => counts.push((x, 1)),
        }
    }
    // Ties go to the mode seen first.
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(k, _)| k)
}

/// Model family from a model id: `claude-opus-4-1` → `opus`, `gpt-4o` → `gpt`, …; a closed
/// list ([`agentstat_facets::vocab::MODEL_FAMILIES`]), anything else `other`.
pub fn model_family(model: &str) -> String {
    agentstat_facets::vocab::model_family(model)
}

fn is_pr_tool(tool: &str) -> bool {
    let t = tool.to_ascii_lowercase();
    t.starts_with("mcp__")
        && (t.contains("create_pull_request")
            || t.contains("create_pr")
            || t.contains("create_merge_request"))
}

fn normalize_pr(u: &str) -> String {
    u.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// Commits, pushes, pull requests and test runs of a shell action whose command is `cmd`.
fn shell_action(
    a: &Action,
    cmd: &str,
    t: &mut Telemetry,
    prs: &mut BTreeSet<String>,
    unnamed_prs: &mut u32,
) {
    let status = a.result.status;
    let completed = matches!(status, ResultStatus::Ok | ResultStatus::Error);
    if !completed {
        return;
    }
    // Most commands run none of the programs counted here: they are not tokenised.
    if !shell::may_count(cmd) {
        return;
    }
    let cmds = shell::split_commands(cmd);
    if cmds.is_empty() {
        return;
    }
    let out = a.result.output.as_str();
    let exit_ok = status == ResultStatus::Ok && a.result.exit_code.is_none_or(|c| c == 0);

    // Commits: git's `[branch hash] msg` line proves success; without it, a clean exit with no
    // failure message (e.g. `git commit -q`) counts too.
    let commits = shell::git_commit_invocations(&cmds);
    if commits > 0 {
        let lines = shell::count_commit_lines(out);
        let n = if lines > 0 {
            lines.min(commits)
        } else if exit_ok && !commit_failed(out) && !in_background(out) {
            commits
        } else {
            0
        };
        t.git_commits += n;
    }

    let pushes = shell::git_push_invocations(&cmds);
    if pushes > 0 && !in_background(out) {
        // A ref-update line proves a push; without one, a clean exit counts unless git said
        // there was nothing to push.
        let updates = ref_updates(out);
        t.git_pushes += if updates > 0 {
            updates.min(pushes)
        } else if exit_ok && !push_failed(out) && !out.contains("Everything up-to-date") {
            pushes
        } else {
            0
        };
    }

    if shell::is_gh_pr_create(&cmds) {
        let urls = shell::pr_urls(out);
        if !urls.is_empty() {
            prs.extend(
                urls.iter()
                    .filter(|u| u.contains("/pull") || u.contains("merge_requests"))
                    .map(|u| normalize_pr(u)),
            );
        } else if exit_ok
            && !out.contains("already exists")
            && !in_background(out)
            && !out.trim().is_empty()
        {
            *unnamed_prs += 1;
        }
    }

    if cmds.iter().any(shell::is_test_command) {
        if in_background(out) {
            return;
        }
        t.test_runs += 1;
        let verdict = match shell::verdict_from_output(out) {
            shell::TestVerdict::Unknown => {
                if status == ResultStatus::Error || a.result.exit_code.is_some_and(|c| c != 0) {
                    shell::TestVerdict::Failed
                } else {
                    shell::TestVerdict::Passed
                }
            }
            v => v,
        };
        match verdict {
            shell::TestVerdict::Passed => {
                t.test_runs_passed += 1;
                t.last_test_passed = Some(true);
            }
            shell::TestVerdict::Failed => {
                t.test_runs_failed += 1;
                t.last_test_passed = Some(false);
            }
            shell::TestVerdict::Unknown => {}
        }
    }
}

fn in_background(out: &str) -> bool {
    out.starts_with("Command running in background")
}

fn commit_failed(out: &str) -> bool {
    let l = out.to_ascii_lowercase();
    l.contains("nothing to commit")
        || l.contains("no changes added to commit")
        || l.contains("fatal:")
        || l.contains("error:")
        || l.contains("nothing added to commit")
}

fn push_failed(out: &str) -> bool {
    let l = out.to_ascii_lowercase();
    l.contains("[rejected]") || l.contains("fatal:") || l.contains("error: failed to push")
}

/// Ref-update lines git prints after a push: `   1a2b..3c4d  main -> main`,
/// ` * [new branch]      x -> x`, ` + 1a2b...3c4d x -> x (forced update)`.
fn ref_updates(out: &str) -> u32 {
    out.lines()
        .filter(|l| {
            let l = l.trim();
            l.contains(" -> ")
                && (l.starts_with("* [new") || l.starts_with("+ ") || {
                    let first = l.split_whitespace().next().unwrap_or("");
                    first.contains("..")
                        && first.split("..").all(|h| {
                            let h = h.trim_start_matches('.');
                            !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())
                        })
                })
        })
        .count() as u32
}

/// Agent working time after each prompt, seconds: from the prompt's timestamp to the last
/// agent event (assistant text, tool call or its result, subagents' included) before the next
/// prompt. Turns are delimited by timestamps, not by event order, so subagent work is credited
/// to the turn it ran in wherever ingest placed it. Prompts the agent never answered, and those
/// without timestamps, have no duration.
pub fn turn_durations(session: &Session) -> Vec<f64> {
    let mut prompts: Vec<i64> = session.human_turns().filter_map(|h| h.timestamp).collect();
    prompts.sort_unstable();
    prompts.dedup();
    if prompts.is_empty() {
        return Vec::new();
    }
    let mut last: Vec<Option<i64>> = vec![None; prompts.len()];
    let mut credit = |t: Option<i64>| {
        let Some(t) = t else { return };
        // The turn is the latest prompt at or before `t`; work before the first prompt has none.
        let i = prompts.partition_point(|&p| p <= t);
        if i > 0 {
            let slot = &mut last[i - 1];
            *slot = Some(slot.map_or(t, |x: i64| x.max(t)));
        }
    };
    for e in &session.events {
        match e {
            Event::AssistantText(a) => credit(a.timestamp),
            Event::Action(a) => {
                credit(a.timestamp);
                credit(a.result.timestamp);
            }
            _ => {}
        }
    }
    prompts
        .iter()
        .zip(&last)
        .filter_map(|(p, l)| l.map(|l| (l - p) as f64 / 1000.0))
        .collect()
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests;
