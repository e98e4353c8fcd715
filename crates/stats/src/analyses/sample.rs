//! The sample block: every session (interactive or not), with its category counts folded
//! under the threshold; the agents the by-agent tables show.

use super::by_agent::{BY_AGENT, BY_AGENT_SESSIONS};
use super::prelude::*;

/// The sample summary (every session, interactive or not), with no threshold applied: what
/// personal mode shows. [`sample_with`] is what any other report publishes.
pub fn sample(facets: &[Facet]) -> Sample {
    let mut s = Sample {
        sessions: facets.len() as u64,
        ..Default::default()
    };
    let mut people = HashSet::new();
    let mut days: Vec<i64> = Vec::new();
    for f in facets {
        people.insert(f.user_key.as_str());
        if f.interactive {
            s.interactive_sessions += 1;
        } else {
            let reason = f
                .excluded_reason
                .clone()
                .unwrap_or_else(|| "not interactive".into());
            *s.excluded.entry(reason).or_insert(0) += 1;
        }
        *s.agents.entry(f.agent.clone()).or_insert(0) += 1;
        let fam = f
            .telemetry
            .model_family
            .clone()
            .unwrap_or_else(|| "unknown".into());
        *s.model_families.entry(fam).or_insert(0) += 1;
        days.extend(f.telemetry.start_ms);
        if let Some(l) = &f.labels {
            for key in provenance_keys(l) {
                *s.classifiers.entry(key).or_insert(0) += 1;
            }
            if has_error(l) {
                s.classification_errors += 1;
            }
        }
    }
    s.people = people.len() as u64;
    s.explain_people(facets);
    s.agent_people = people_per_agent(facets, &s.agents);
    s.first_day = days.iter().min().map(|&ms| day_of(ms));
    s.last_day = days.iter().max().map(|&ms| day_of(ms));
    s
}

/// The label categories below the threshold are folded into (docs/RESULTS_SCHEMA.md).
pub const OTHER_SUPPRESSED: &str = "other (suppressed)";

/// [`sample`] under a threshold. In personal mode, the full summary. Otherwise every category
/// count (excluded reasons, agents, model families, classifier versions) whose sessions come
/// from fewer than `k` people is folded into [`OTHER_SUPPRESSED`] (and, while that bucket rests
/// on fewer than `k` people, the smallest published category joins it); the date range is
/// published at month level (`YYYY-MM`) and only when the first and the last month each have
/// sessions of at least `k` people; the classification-error count is published only when the
/// sessions with an error come from at least `k` people (else 0).
pub fn sample_with(facets: &[Facet], th: &Threshold) -> Sample {
    let mut s = sample(facets);
    if th.personal {
        return s;
    }
    type Key = fn(&Facet) -> Vec<String>;
    let excluded: Key = |f| {
        if f.interactive {
            vec![]
        } else {
            vec![f
                .excluded_reason
                .clone()
                .unwrap_or_else(|| "not interactive".into())]
        }
    };
    let agent: Key = |f| vec![f.agent.clone()];
    let family: Key = |f| {
        vec![f
            .telemetry
            .model_family
            .clone()
            .unwrap_or_else(|| "unknown".into())]
    };
    let classifier: Key = |f| f.labels.as_ref().map(provenance_keys).unwrap_or_default();
    for (map, key) in [
        (&mut s.excluded, excluded),
        (&mut s.agents, agent),
        (&mut s.model_families, family),
        (&mut s.classifiers, classifier),
    ] {
        fold_small(map, facets, key, th);
    }
    s.agent_people = people_per_agent(facets, &s.agents);

    let error_users: HashSet<&str> = facets
        .iter()
        .filter(|f| f.labels.as_ref().is_some_and(has_error))
        .map(|f| f.user_key.as_str())
        .collect();
    if !th.allows(error_users.len() as u64) {
        s.classification_errors = 0;
    }

    let mut month_users: HashMap<String, HashSet<&str>> = HashMap::new();
    for f in facets {
        if let Some(ms) = f.telemetry.start_ms {
            month_users
                .entry(day_of(ms)[..7].to_string())
                .or_default()
                .insert(f.user_key.as_str());
        }
    }
    let first = month_users.keys().min().cloned();
    let last = month_users.keys().max().cloned();
    let ok = |m: &Option<String>| {
        m.as_ref()
            .is_some_and(|m| th.allows(month_users[m].len() as u64))
    };
    if ok(&first) && ok(&last) {
        s.first_day = first;
        s.last_day = last;
    } else {
        s.first_day = None;
        s.last_day = None;
    }
    s
}

/// Team mode with rounding: every count of the sample block rounded to `base`
/// ([`crate::rounding::round_count`]), like the cells' counts: sessions, interactive sessions,
/// excluded sessions by reason, sessions and people per agent, per model family and per
/// classifier, classification errors, and the reading losses. Each number is rounded on its
/// own, so parts need not add up to the rounded total. The number of people in the data (and
/// how many are identified) stays exact: it is the team's size, which every member knows, and
/// the report compares it with `k` to say why nothing could be published.
pub(crate) fn round_sample(s: &mut Sample, base: u32) {
    use crate::rounding::round_count;
    let r = |x: &mut u64| *x = round_count(*x, base);
    r(&mut s.sessions);
    r(&mut s.interactive_sessions);
    r(&mut s.classification_errors);
    for map in [
        &mut s.excluded,
        &mut s.agents,
        &mut s.agent_people,
        &mut s.model_families,
        &mut s.classifiers,
        &mut s.skipped_by_reason,
    ] {
        map.values_mut().for_each(r);
    }
    for x in [&mut s.skipped_lines, &mut s.unreadable_sources]
        .into_iter()
        .flatten()
    {
        r(x);
    }
}

/// Folds the categories of `map` (session counts, one or more keys per facet via `key`) that
/// rest on fewer than `k` people into [`OTHER_SUPPRESSED`]; while the folded bucket itself rests
/// on fewer than `k` people, the smallest remaining category is folded too (so a lone small
/// category cannot be recovered by subtraction from the total).
pub(crate) fn fold_small(
    map: &mut std::collections::BTreeMap<String, u64>,
    facets: &[Facet],
    key: fn(&Facet) -> Vec<String>,
    th: &Threshold,
) {
    let mut users: HashMap<String, HashSet<&str>> = HashMap::new();
    for f in facets {
        for k in key(f) {
            users.entry(k).or_default().insert(f.user_key.as_str());
        }
    }
    let n_users = |k: &str| users.get(k).map_or(0, |u| u.len() as u64);
    let mut folded: Vec<String> = map
        .keys()
        .filter(|k| !th.allows(n_users(k)))
        .cloned()
        .collect();
    if folded.is_empty() {
        return;
    }
    loop {
        let union: HashSet<&str> = folded
            .iter()
            .filter_map(|k| users.get(k))
            .flat_map(|u| u.iter().copied())
            .collect();
        if th.allows(union.len() as u64) {
            break;
        }
        let next = map
            .iter()
            .filter(|(k, _)| !folded.contains(k))
            .min_by_key(|(k, &n)| (n_users(k), n, (*k).clone()))
            .map(|(k, _)| k.clone());
        match next {
            Some(k) => folded.push(k),
            None => break,
        }
    }
    let mass: u64 = folded.iter().filter_map(|k| map.remove(k)).sum();
    if mass > 0 {
        *map.entry(OTHER_SUPPRESSED.to_string()).or_insert(0) += mass;
    }
}

/// Distinct people for each key of `agents` (sessions per agent, possibly with a folded
/// [`OTHER_SUPPRESSED`] bucket, which counts the people of every agent not named once).
pub(crate) fn people_per_agent(
    facets: &[Facet],
    agents: &std::collections::BTreeMap<String, u64>,
) -> std::collections::BTreeMap<String, u64> {
    let mut people: HashMap<&str, HashSet<&str>> = HashMap::new();
    for f in facets {
        let key = if agents.contains_key(&f.agent) {
            f.agent.as_str()
        } else {
            OTHER_SUPPRESSED
        };
        people.entry(key).or_default().insert(f.user_key.as_str());
    }
    agents
        .keys()
        .map(|k| {
            let n = people.get(k.as_str()).map_or(0, |p| p.len() as u64);
            (k.clone(), n)
        })
        .collect()
}

/// The agents as the by-agent tables show them: each agent the sample block names (at least
/// `k` people over all sessions, [`sample_with`]), alphabetically, then one row pooling the
/// agents the sample block folds away, so that the tables never name an agent the sample block
/// hides. Only agents with interactive sessions get a row.
pub(crate) struct AgentRows {
    pub(crate) labels: Vec<String>,
    pub(crate) row_of: HashMap<String, usize>,
    /// Distinct agents among interactive sessions (named or not).
    pub(crate) interactive_agents: usize,
}

/// Label of the by-agent row pooling the agents the sample block does not name.
pub const OTHER_AGENTS: &str = "other agents";

impl AgentRows {
    pub(crate) fn new(facets: &[Facet], th: &Threshold) -> AgentRows {
        let s = sample_with(facets, th);
        let interactive: BTreeSet<&str> = facets
            .iter()
            .filter(|f| f.interactive)
            .map(|f| f.agent.as_str())
            .collect();
        let mut labels: Vec<String> = s
            .agents
            .keys()
            .filter(|k| k.as_str() != OTHER_SUPPRESSED && interactive.contains(k.as_str()))
            .cloned()
            .collect();
        let folded: Vec<&str> = interactive
            .iter()
            .copied()
            .filter(|a| !s.agents.contains_key(*a))
            .collect();
        let mut row_of: HashMap<String, usize> = labels
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), i))
            .collect();
        if !folded.is_empty() {
            for a in folded {
                row_of.insert(a.to_string(), labels.len());
            }
            labels.push(OTHER_AGENTS.to_string());
        }
        AgentRows {
            labels,
            row_of,
            interactive_agents: interactive.len(),
        }
    }

    /// Whether the by-agent tables are produced: more than one agent, shown in at least two
    /// rows (with one row the tables would repeat the totals).
    pub(crate) fn table(&self) -> bool {
        self.interactive_agents > 1 && self.labels.len() > 1
    }
}

/// After the by-agent tables are protected: an agent whose session count the table suppresses
/// is folded into [`OTHER_SUPPRESSED`] in the sample block too, so the sample block's count of
/// that agent's sessions (which also counts its non-interactive ones) cannot give it back.
pub(crate) fn agents_follow_table(
    s: &mut Sample,
    facets: &[Facet],
    tables: &[Table],
    th: &Threshold,
) {
    if th.personal {
        return;
    }
    let Some(t) = tables.iter().find(|t| t.id == BY_AGENT) else {
        return;
    };
    let mut moved = 0;
    for row in &t.rows {
        if row.label == OTHER_AGENTS || !row.cells[BY_AGENT_SESSIONS].suppressed {
            continue;
        }
        if let Some(n) = s.agents.remove(&row.label) {
            *s.agents.entry(OTHER_SUPPRESSED.to_string()).or_insert(0) += n;
            moved += 1;
        }
    }
    if moved > 0 {
        s.agent_people = people_per_agent(facets, &s.agents);
    }
}

/// Every distinct `backend / model / prompt version` behind a session's labels.
pub(crate) fn provenance_keys(l: &agentstat_facets::Labels) -> Vec<String> {
    let provs: BTreeSet<String> = l
        .states()
        .into_iter()
        .map(|s| s.provenance)
        .filter(|p| !p.backend.is_empty())
        .map(|p| format!("{} / {} / {}", p.backend, p.model, p.prompt_version))
        .collect();
    provs.into_iter().collect()
}

/// Whether any classifier recorded an error for this session.
pub(crate) fn has_error(l: &agentstat_facets::Labels) -> bool {
    l.any_failed()
}

/// `YYYY-MM-DD` (UTC) of a millisecond timestamp (civil-from-days, Howard Hinnant).
pub(crate) fn day_of(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_767_225_600_000), "2026-01-01");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
    }
}
