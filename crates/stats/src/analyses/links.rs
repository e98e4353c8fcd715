//! Which published counts describe the same people, table by table: the families of linked
//! tables handed to [`privacy::Family::protect`], so that a cell suppressed in one table is not
//! recovered from another (docs/STATISTICS.md, "Differencing across tables").
//!
//! Every cell's `n_sessions` is the size of a set of sessions; a rate cell also reveals how
//! many of them hit its flag (value × n); a composition's shares reveal its total; a table's
//! notes and the sample block state population sizes. A family lists, for one grouping
//! variable (or a few that tables cross), each of those sets as a predicate on an
//! observation, and the totals the notes state. Tables of different families share no
//! grouping, so they are protected independently; a family's sets are checked against the
//! data, so an identity that holds only in this data set (every session has a month, every
//! session has a task value) is caught as well.

use super::by_agent::{
    in_agent_rate, BY_AGENT, BY_AGENT_RATES, BY_AGENT_SESSIONS, BY_AGENT_WORK_MODE,
};
use super::fig2::bin_of;
use super::fig3::FIG3_FE;
use super::obs::{Fits, Obs};
use super::regress::in_a1_sample;
use super::validation::{lines_changed, writes_code};
use crate::privacy::{round_number, CellRef, Family, Protection, Threshold, WITHHELD};
use crate::results::{Cell, OutputClass, Table};
use agentstat_facets::{CodebaseRelation, Occupation, UserProfile, WorkMode};
use std::collections::HashMap;
use std::rc::Rc;

/// Runs every family over the finished tables; adds a note to each table that lost cells.
pub(super) fn protect(th: &Threshold, obs: &[Obs], tables: &mut [Table], fits: &Fits) -> usize {
    if th.personal {
        return 0;
    }
    let before: Vec<usize> = tables.iter().map(suppressed).collect();
    // The tables' ids and row labels (the families only need where cells are).
    let shape: Vec<(String, Vec<String>)> = tables
        .iter()
        .map(|t| {
            (
                t.id.clone(),
                t.rows.iter().map(|r| r.label.clone()).collect(),
            )
        })
        .collect();
    let ix = |id: &str| shape.iter().position(|t| t.0 == id);
    let rows_of = |t: Option<usize>| t.map_or(0, |t| shape[t].1.len());
    let labels =
        |t: Option<usize>| -> Vec<String> { t.map_or_else(Vec::new, |t| shape[t].1.clone()) };
    // A cell list per group; nothing when the table is absent.
    let cells = |t: Option<usize>, groups: usize, cols: &[usize]| -> Vec<Vec<CellRef>> {
        match t {
            Some(t) => (0..groups)
                .map(|g| cols.iter().map(|&c| (t, g, c)).collect())
                .collect(),
            None => Vec::new(),
        }
    };
    let nm = WorkMode::ALL.len();
    let user = |o: &Obs| o.user;
    let statements = statements(&ix);
    // Membership of every statement, worked out once for all families.
    debug_assert!(statements.len() <= 64);
    let stated: Vec<u64> = obs
        .iter()
        .map(|o| {
            statements
                .iter()
                .enumerate()
                .fold(0u64, |b, (i, s)| b | (u64::from((s.2)(o)) << i))
        })
        .collect();
    // Every session's agent: the sample block states sessions per agent unrounded, so the
    // rounding check never moves a session from one agent to another.
    let mut agent_codes: HashMap<&str, u32> = HashMap::new();
    let strata: Vec<u32> = obs
        .iter()
        .map(|o| {
            let n = agent_codes.len() as u32;
            *agent_codes.entry(o.f.agent.as_str()).or_insert(n)
        })
        .collect();

    // The by-agent tables split every population the other families split (all sessions by
    // agent; sessions with a goal by agent, with rates that add up to the success measures
    // other tables publish; work modes by agent). Their lines join each family they are linked
    // to, and since their cells are then shared between families, the families run again until
    // none suppresses anything more.
    let ta = ix(BY_AGENT);
    let taw = ix(BY_AGENT_WORK_MODE);
    let agent_cells = AgentCells {
        counts: cells(ta, rows_of(ta), &[BY_AGENT_SESSIONS, BY_AGENT_SESSIONS + 1]),
        rates: (0..BY_AGENT_RATES.len())
            .map(|c| cells(ta, rows_of(ta), &[c]))
            .collect(),
        modes: taw.map_or_else(Vec::new, |t| {
            (0..rows_of(taw))
                .map(|r| (0..nm).map(|w| vec![(t, r, w)]).collect())
                .collect()
        }),
    };
    let agents = ta.is_some() || taw.is_some();
    let mut unresolved;
    loop {
        let pass_start = progress(tables);
        unresolved = 0;

        // Work mode × month × task value: Fig. 1 (modes), Fig. 4 (month × mode shares, value
        // index by month and by mode).
        {
            let t1 = ix("fig1_work_mode");
            let t4 = ix("fig4_work_mode_by_month");
            let tvm = ix("fig4_value_by_month");
            let tvw = ix("fig4_value_by_mode");
            let months = labels(t4);
            let month_ix: HashMap<&str, usize> = months
                .iter()
                .enumerate()
                .map(|(i, m)| (m.as_str(), i))
                .collect();
            let month_of = |o: &Obs| o.month().and_then(|m| month_ix.get(m).copied());
            let mode_of = |o: &Obs| o.mode.map(WorkMode::index);
            let mut f = Family::<Obs>::new("work mode × month");
            f.shares(mode_of, cells(t1, nm, &[0]));
            if let Some(t4) = t4 {
                for (r, _) in months.iter().enumerate() {
                    let g = (0..nm).map(|w| vec![(t4, r, w)]).collect();
                    f.shares(
                        move |o| (month_of(o) == Some(r)).then(|| mode_of(o)).flatten(),
                        g,
                    );
                }
            }
            f.counts(
                move |o| o.value.and(month_of(o)),
                cells(tvm, rows_of(tvm), &[0]),
            );
            f.counts(move |o| o.value.and(mode_of(o)), cells(tvw, nm, &[0]));
            agent_cells.add(&mut f);
            state(&mut f, &statements, &stated, &strata);
            unresolved += unresolved_note(f.protect(th, obs, user, tables), t1, tables);
        }

        // Codebase relation: Fig. 1 and the validation table (writing code = Modify or Create).
        {
            let tr = ix("fig1_codebase_relation");
            let tv = ix("validation_writes_code");
            let mut f = Family::<Obs>::new("codebase relation");
            f.shares(
                |o| o.relation.map(CodebaseRelation::index),
                cells(tr, CodebaseRelation::ALL.len(), &[0]),
            );
            if let Some(tv) = tv {
                // Sessions whose lines are unknown are in no rate (validation.rs).
                let known = |o: &Obs| o.relation.filter(|_| lines_changed(o).is_some());
                f.rates(
                    move |o| known(o).map(|_| usize::from(!writes_code(o))),
                    vec![vec![(tv, 0, 0)], vec![(tv, 1, 0)]],
                    |o, g| lines_changed(o) == Some(g == 0),
                );
                f.rates(
                    move |o| known(o).map(|_| 0),
                    vec![vec![(tv, 2, 0)]],
                    |o, _| lines_changed(o) == Some(writes_code(o)),
                );
            }
            state(&mut f, &statements, &stated, &strata);
            unresolved += unresolved_note(f.protect(th, obs, user, tables), tr, tables);
        }

        // Decisions: Fig. 2 (histograms of the agent's share, mean user shares), Fig. A2 (bands of
        // the agent's share of all decisions).
        {
            let th2 = ix("fig2_agent_decision_share");
            let tm = ix("fig2_user_decision_share");
            let ta = ix("figa2_by_agent_share");
            let plan = |o: &Obs| {
                o.decisions
                    .and_then(|d| d.user_planning_share())
                    .map(|s| bin_of(1.0 - s))
            };
            let exec = |o: &Obs| {
                o.decisions
                    .and_then(|d| d.user_execution_share())
                    .map(|s| bin_of(1.0 - s))
            };
            let band = |o: &Obs| {
                o.decisions
                    .and_then(|d| d.agent_share())
                    .map(|s| ((s * 5.0).floor() as usize).min(4))
            };
            let mut f = Family::<Obs>::new("decisions");
            f.shares(plan, cells(th2, rows_of(th2), &[0]));
            f.shares(exec, cells(th2, rows_of(th2), &[1]));
            f.counts(band, cells(ta, rows_of(ta), &[0, 1, 2, 3]));
            if let Some(tm) = tm {
                f.counts(move |o| plan(o).map(|_| 0), vec![vec![(tm, 0, 0)]]);
                f.counts(move |o| exec(o).map(|_| 0), vec![vec![(tm, 1, 0)]]);
            }
            state(&mut f, &statements, &stated, &strata);
            unresolved += unresolved_note(f.protect(th, obs, user, tables), th2, tables);
        }

        // Expertise level: Fig. 3 (boxes, regressions), Fig. 5 (margins, troubled sessions),
        // Table A1 (its estimation samples, mean verified success), Table A2.
        {
            let level = |o: &Obs| o.level.map(|l| usize::from(l) - 1);
            let t3a = ix("fig3_actions_by_expertise");
            let t3w = ix("fig3_words_by_expertise");
            let t3r = ix("fig3_regression");
            let t5 = ix("fig5_adjusted_rates");
            let t5t = ix("fig5_troubled");
            let ta1 = ix("table_a1");
            let ta2 = ix("table_a2");
            let mut f = Family::<Obs>::new("expertise level");
            f.counts(level, cells(t3a, rows_of(t3a), &[0, 1, 2, 3, 4, 5]));
            f.counts(level, cells(t3w, rows_of(t3w), &[0, 1, 2, 3, 4, 5]));
            if let Some(t) = t3r {
                for (r, name) in ["Actions per prompt", "Output words per prompt"]
                    .into_iter()
                    .enumerate()
                {
                    let name = format!("fig3 {name}");
                    f.counts(
                        move |o| fits.has(&name, o).then_some(0),
                        vec![vec![(t, r, 0), (t, r, 1)]],
                    );
                }
            }
            // Predictive margins are rates when the model is saturated in the levels (with
            // controls that do not vary they are the group's outcome mean), so they publish the
            // group's outcome count like a rate does; otherwise (output classes in force) they
            // are model outputs, and only their level's count is published. Without output
            // classes every margin counts as a rate.
            let share_col = |t: Option<usize>, c: usize| {
                !th.classes()
                    || t.and_then(|t| tables.get(t)).is_some_and(|t| {
                        t.rows.iter().any(|r| {
                            r.cells
                                .get(c)
                                .is_some_and(|x| x.class == OutputClass::Share)
                        })
                    })
            };
            let t5_share: Vec<bool> = (0..3).map(|c| share_col(t5, c)).collect();
            let a2_share = share_col(ta2, 2);
            let classes = th.classes();
            if let Some(t) = t5 {
                type Outcome = fn(&Obs) -> Option<bool>;
                let outcomes: [(&str, Outcome); 3] = [
                    ("at_least_partial", |o| o.d.at_least_partial_success),
                    ("judged", |o| o.d.judged_success),
                    ("verified", |o| o.d.verified_success),
                ];
                for (c, (key, get)) in outcomes.into_iter().enumerate() {
                    let name = format!("fig5 {key}");
                    let group = move |o: &Obs| if fits.has(&name, o) { level(o) } else { None };
                    if t5_share[c] {
                        f.rates(group, cells(Some(t), rows_of(t5), &[c]), move |o, _| {
                            get(o) == Some(true)
                        });
                    } else {
                        f.counts(group, cells(Some(t), rows_of(t5), &[c]));
                    }
                }
            }
            if let Some(t) = t5t {
                type Flag = fn(&Obs) -> Option<bool>;
                let flags: [Flag; 3] = [
                    |o| o.d.judged_success,
                    |o| o.d.judged_failure,
                    |o| o.d.abandoned,
                ];
                for (c, flag) in flags.into_iter().enumerate() {
                    f.rates(
                        move |o| {
                            let troubled = o.in_success_sample() && o.d.hit_trouble == Some(true);
                            if troubled && flag(o).is_some() {
                                level(o)
                            } else {
                                None
                            }
                        },
                        cells(Some(t), rows_of(t5t), &[c]),
                        move |o, _| flag(o) == Some(true),
                    );
                }
            }
            if let Some(t) = ta1 {
                for (c, spec) in ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]
                    .into_iter()
                    .enumerate()
                {
                    let name = format!("a1 {spec}");
                    let sample = move |o: &Obs| fits.has(&name, o).then_some(0);
                    if classes {
                        // The coefficient is a model output: it publishes its sample's size
                        // only; the mean of verified success is the share.
                        f.rates(sample.clone(), vec![vec![(t, 1, c), (t, 2, c)]], |o, _| {
                            o.d.verified_success == Some(true)
                        });
                        f.counts(sample, vec![vec![(t, 0, c)]]);
                    } else {
                        f.rates(
                            sample,
                            vec![vec![(t, 0, c), (t, 1, c), (t, 2, c)]],
                            |o, _| o.d.verified_success == Some(true),
                        );
                    }
                }
            }
            if let Some(t) = ta2 {
                // Coefficients are differences of margins (level vs Novice): they go with them.
                let group = move |o: &Obs| if fits.has("a2", o) { level(o) } else { None };
                if a2_share {
                    f.rates(group, cells(Some(t), rows_of(ta2), &[0, 2]), |o, _| {
                        o.d.verified_success == Some(true)
                    });
                } else {
                    f.counts(group, cells(Some(t), rows_of(ta2), &[0, 2]));
                }
                f.rates(
                    move |o| {
                        if fits.has("a1 rows", o) {
                            level(o)
                        } else {
                            None
                        }
                    },
                    cells(Some(t), rows_of(ta2), &[1]),
                    |o, _| o.d.verified_success == Some(true),
                );
            }
            agent_cells.add(&mut f);
            state(&mut f, &statements, &stated, &strata);
            unresolved += unresolved_note(f.protect(th, obs, user, tables), t3a, tables);
        }

        // User-profile occupation: Fig. 6 (two rates per group among code-writing sessions).
        if let Some(t) = ix("fig6_occupation") {
            let row_of: HashMap<Occupation, usize> = Occupation::ALL
                .iter()
                .filter_map(|g| {
                    shape[t]
                        .1
                        .iter()
                        .position(|r| r == g.as_str())
                        .map(|r| (*g, r))
                })
                .collect();
            let n = shape[t].1.len();
            let base = |o: &Obs| o.in_success_sample() && o.d.wrote_code;
            let group = move |o: &Obs| match o.profile {
                Some(UserProfile::Group(g)) if base(o) => row_of.get(&g).copied(),
                _ => None,
            };
            let mut f = Family::<Obs>::new("occupation");
            f.rates(
                {
                    let group = group.clone();
                    move |o: &Obs| o.d.judged_success.and(group(o))
                },
                cells(Some(t), n, &[0]),
                |o, _| o.d.judged_success == Some(true),
            );
            f.rates(
                {
                    let group = group.clone();
                    move |o: &Obs| o.d.verified_success.and(group(o))
                },
                cells(Some(t), n, &[1]),
                |o, _| o.d.verified_success == Some(true),
            );
            agent_cells.add(&mut f);
            state(&mut f, &statements, &stated, &strata);
            unresolved += unresolved_note(f.protect(th, obs, user, tables), Some(t), tables);
        }

        // Success and failure signal levels: Fig. A1.
        if let Some(t) = ix("figa1_success_by_signal") {
            let n = shape[t].1.len();
            let judged = |o: &Obs| o.in_success_sample() && o.d.judged_success.is_some();
            let mut f = Family::<Obs>::new("signals");
            f.rates(
                move |o| o.succ.filter(|_| judged(o)).map(usize::from),
                cells(Some(t), n, &[0]),
                |o, _| o.d.judged_success == Some(true),
            );
            f.rates(
                move |o| o.fail.filter(|_| judged(o)).map(usize::from),
                cells(Some(t), n, &[1]),
                |o, _| o.d.judged_success == Some(true),
            );
            agent_cells.add(&mut f);
            state(&mut f, &statements, &stated, &strata);
            unresolved += unresolved_note(f.protect(th, obs, user, tables), Some(t), tables);
        }

        // With no by-agent table, every family ran once, as before.
        if !agents || progress(tables) == pass_start {
            break;
        }
    }

    // Rounding: the population sizes the notes state are rounded like every other count (the
    // families above reasoned with their rounded values).
    if th.rounds() {
        for (t, words, _) in &statements {
            let Some(table) = t.and_then(|t| tables.get_mut(t)) else {
                continue;
            };
            for note in &mut table.notes {
                if let Some(n) = round_number(note, words, th.round_base()) {
                    *note = n;
                    break;
                }
            }
        }
    }
    for (t, b) in tables.iter_mut().zip(before) {
        let extra = suppressed(t) - b;
        if extra > 0 {
            t.notes.push(format!(
                "{extra} cell(s) with enough people were also suppressed, so that no suppressed \
                 cell can be recovered by combining this table's published numbers with other \
                 tables' or with the totals in the notes."
            ));
        }
    }
    unresolved
}

/// A population size the document states: (table whose note states it, the words right after
/// the number, membership). `None` for the table: the sample block, always published.
type Statement<'a> = (Option<usize>, &'static str, Rc<dyn Fn(&Obs) -> bool + 'a>);

/// Every population size a note or the sample block states. Each family is given all of them:
/// a total stated for one family's tables may equal, or combine with others into, a count of
/// another family, and a number one family withholds must be withheld wherever it is stated.
fn statements<'a>(ix: &dyn Fn(&str) -> Option<usize>) -> Vec<Statement<'a>> {
    let mut v: Vec<Statement<'a>> = Vec::new();
    let mut add = |t: Option<usize>, words: &'static str, f: Rc<dyn Fn(&Obs) -> bool + 'a>| {
        if t.is_some() {
            v.push((t, words, f));
        }
    };
    let success = |o: &Obs| o.in_success_sample();
    let no_goal = |o: &Obs| o.outcome == Some(agentstat_facets::Outcome::NoClearGoal);
    let fig3_sample = |o: &Obs| o.level.is_some() && FIG3_FE.iter().all(|fe| fe.key(o).is_some());
    let t1 = ix("fig1_work_mode");
    add(
        t1,
        "interactive sessions with a work-mode label",
        Rc::new(|o| o.mode.is_some()),
    );
    for t in [ix("fig4_value_by_month"), ix("fig4_value_by_mode")] {
        add(t, "valued sessions", Rc::new(|o| o.value.is_some()));
    }
    add(
        ix("fig1_codebase_relation"),
        "sessions with a codebase-relation label",
        Rc::new(|o| o.relation.is_some()),
    );
    add(
        ix("validation_writes_code"),
        "sessions whose transcripts cannot tell lines changed",
        Rc::new(|o| o.relation.is_some() && lines_changed(o).is_none()),
    );
    let t2 = ix("fig2_agent_decision_share");
    add(
        t2,
        "sessions with planning decisions",
        Rc::new(|o| o.decisions.and_then(|d| d.user_planning_share()).is_some()),
    );
    add(
        t2,
        "with execution decisions",
        Rc::new(|o| o.decisions.and_then(|d| d.user_execution_share()).is_some()),
    );
    add(
        ix("figa2_by_agent_share"),
        "sessions with attributed decisions",
        Rc::new(|o| o.decisions.and_then(|d| d.agent_share()).is_some()),
    );
    for (id, get) in [
        (
            "fig3_actions_by_expertise",
            (|o: &Obs| o.f.telemetry.actions_per_prompt) as fn(&Obs) -> f64,
        ),
        ("fig3_words_by_expertise", |o: &Obs| {
            o.f.telemetry.words_per_prompt
        }),
    ] {
        let t = ix(id);
        add(
            t,
            "sessions with an expertise level",
            Rc::new(|o| o.level.is_some()),
        );
        add(
            t,
            "Unclear or unlabelled sessions excluded",
            Rc::new(|o| o.level.is_none()),
        );
        add(
            t,
            "sessions with a value of zero",
            Rc::new(move |o| o.level.is_some() && (get(o) <= 0.0 || get(o).is_nan())),
        );
    }
    let t3r = ix("fig3_regression");
    add(
        t3r,
        "sessions with a level and all controls",
        Rc::new(fig3_sample),
    );
    add(
        t3r,
        "dropped for Unclear expertise",
        Rc::new(|o| o.level.is_none()),
    );
    add(
        t3r,
        "for an unknown value band, month or work-performed occupation",
        Rc::new(move |o| o.level.is_some() && !fig3_sample(o)),
    );
    for t in [ix("fig5_adjusted_rates"), ix("table_a1")] {
        add(t, "interactive sessions with a goal", Rc::new(success));
        add(t, "No clear goal and", Rc::new(no_goal));
        add(
            t,
            "without an outcome excluded",
            Rc::new(move |o| !success(o) && !no_goal(o)),
        );
        add(
            t,
            "dropped for Unclear expertise",
            Rc::new(move |o| success(o) && o.level.is_none()),
        );
        add(
            t,
            "for an unknown value band,",
            Rc::new(move |o| success(o) && o.level.is_some() && o.band().is_none()),
        );
        add(
            t,
            "for an unknown month, work-performed",
            Rc::new(move |o| {
                success(o) && o.level.is_some() && o.band().is_some() && !in_a1_sample(o)
            }),
        );
        add(t, "sessions remain", Rc::new(in_a1_sample));
    }
    add(
        ix("fig5_troubled"),
        "troubled sessions with a goal",
        Rc::new(move |o| success(o) && o.d.hit_trouble == Some(true) && o.level.is_some()),
    );
    let t6 = ix("fig6_occupation");
    let code = move |o: &Obs| success(o) && o.d.wrote_code;
    add(
        t6,
        "code-writing sessions with a goal and an occupation",
        Rc::new(move |o| code(o) && matches!(o.profile, Some(UserProfile::Group(_)))),
    );
    add(
        t6,
        "with an Unclear user profile excluded",
        Rc::new(move |o| code(o) && o.profile == Some(UserProfile::Unclear)),
    );
    add(
        ix("figa1_success_by_signal"),
        "sessions with a goal;",
        Rc::new(success),
    );
    let ta = ix(BY_AGENT);
    add(ta, "interactive sessions,", Rc::new(|_| true));
    add(ta, "sessions with a goal. Rates", Rc::new(success));
    v
}

/// Gives `f` every statement (`stated[o.idx]` has bit `i` set when observation `o` is in
/// statement `i`), and the sample block's total of interactive sessions.
fn state<'a>(
    f: &mut Family<'a, Obs<'a>>,
    statements: &[Statement<'a>],
    stated: &'a [u64],
    strata: &'a [u32],
) {
    f.stratum(move |o| strata[o.idx]);
    for (i, (t, words, _)) in statements.iter().enumerate().take(64) {
        f.stated(*t, words, move |o| stated[o.idx] >> i & 1 == 1);
    }
    f.always(|_| true);
}

/// The by-agent tables' cells, by line: their lines join every family they are linked to.
struct AgentCells {
    /// Per agent row: the session and people counts.
    counts: Vec<Vec<CellRef>>,
    /// Per rate column: per agent row, the rate cell.
    rates: Vec<Vec<Vec<CellRef>>>,
    /// Per agent row: per work mode, the share cell.
    modes: Vec<Vec<Vec<CellRef>>>,
}

impl AgentCells {
    /// Adds every line of the by-agent tables to `f`: the counts, the work-mode shares per
    /// agent and the rates among sessions with a goal. All of them, in every family they join:
    /// a row's cells publish the same sessions (every rate's count is the row's sessions when
    /// every session has a goal), and a family that saw only some of them could hide one and
    /// leave another publishing the same number. Nothing when there is no by-agent table.
    fn add<'a>(&self, f: &mut Family<'a, Obs<'a>>) {
        if self.counts.is_empty() && self.modes.is_empty() {
            return;
        }
        f.counts(|o: &Obs| o.agent, self.counts.clone());
        for (r, cells) in self.modes.iter().enumerate() {
            f.shares(
                move |o: &Obs| {
                    if o.agent == Some(r) {
                        o.mode.map(WorkMode::index)
                    } else {
                        None
                    }
                },
                cells.clone(),
            );
        }
        for (c, cells) in self.rates.iter().enumerate() {
            f.rates(
                move |o: &Obs| o.agent.filter(|_| in_agent_rate(o, c)),
                cells.clone(),
                move |o: &Obs, _| (BY_AGENT_RATES[c].2)(o) == Some(true),
            );
        }
    }
}

/// Suppressed cells and withheld note numbers so far: a pass of the families that changes
/// neither is the last.
fn progress(tables: &[Table]) -> (usize, usize) {
    let cells = tables.iter().map(suppressed).sum();
    let notes = tables
        .iter()
        .flat_map(|t| &t.notes)
        .map(|n| n.matches(WITHHELD).count())
        .sum();
    (cells, notes)
}

/// Says so in a table of the family when some suppressed count stays recoverable from the
/// sample block's totals (which are always published); returns how many. A note from an
/// earlier pass of the families is replaced.
fn unresolved_note(p: Protection, table: Option<usize>, tables: &mut [Table]) -> usize {
    if let Some(t) = table.and_then(|t| tables.get_mut(t)) {
        t.notes.retain(|n| !n.starts_with(UNRESOLVED));
    }
    if p.unresolved > 0 {
        if let Some(t) = table.and_then(|t| tables.get_mut(t)) {
            t.notes.push(format!(
                "{UNRESOLVED}: {} suppressed count(s) of this family of tables can be derived \
                 from the sample totals.",
                p.unresolved
            ));
        }
    }
    p.unresolved
}

/// Start of the note [`unresolved_note`] writes (tests look for it).
pub const UNRESOLVED: &str = "Differencing not fully closed";

fn suppressed(t: &Table) -> usize {
    t.rows
        .iter()
        .flat_map(|r| &r.cells)
        .filter(|c: &&Cell| c.suppressed)
        .count()
}
