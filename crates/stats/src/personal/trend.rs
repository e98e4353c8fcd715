//! Your verified success and trouble by month, when your sessions span at least
//! [`MIN_MONTHS`] months.

use super::{base, col, newcombe, share_cell, Obs, MIN_MONTHS, MIN_SIDE, TREND_ID};
use crate::results::{Chart, Row, Table};
use std::collections::BTreeMap;

pub fn table(obs: &[Obs], k: u32) -> Option<Table> {
    let mut by: BTreeMap<&str, Vec<&Obs>> = BTreeMap::new();
    for o in obs {
        if let Some(m) = o.facet.telemetry.month.as_deref() {
            by.entry(m).or_default().push(o);
        }
    }
    if by.len() < MIN_MONTHS {
        return None;
    }
    let mut t = base(
        TREND_ID,
        "Your sessions by month",
        Chart::Lines,
        vec![
            col("verified", "verified success", "rate"),
            col("trouble", "hit trouble", "rate"),
        ],
    );
    for (m, os) in &by {
        let v: Vec<(bool, u32)> = os
            .iter()
            .filter_map(|o| o.verified.map(|y| (y, o.user)))
            .collect();
        let tr: Vec<(bool, u32)> = os
            .iter()
            .filter_map(|o| o.trouble.map(|y| (y, o.user)))
            .collect();
        t.rows.push(Row {
            label: format!("{m} (n={})", os.len()),
            cells: vec![share_cell(&v, k), share_cell(&tr, k)],
        });
    }
    t.reading = reading(&by);
    t.notes.push(format!(
        "{} months with classified sessions; each month's shares carry Wilson 95% intervals (in the numbers table; the chart draws the values). Months with few sessions move a lot by chance.",
        by.len()
    ));
    Some(t)
}

/// Earlier months against later ones (the sessions split at the month that halves them), with
/// the difference's Newcombe interval: one comparison instead of a month-by-month story.
fn reading(by: &BTreeMap<&str, Vec<&Obs>>) -> String {
    let months: Vec<(&str, Vec<bool>)> = by
        .iter()
        .map(|(m, os)| (*m, os.iter().filter_map(|o| o.verified).collect()))
        .collect();
    let total: usize = months.iter().map(|m| m.1.len()).sum();
    let mut acc = 0;
    let mut cut = 0;
    for (i, m) in months.iter().enumerate() {
        if acc * 2 >= total {
            break;
        }
        acc += m.1.len();
        cut = i + 1;
    }
    let cut = cut.clamp(1, months.len() - 1);
    let (early, late) = months.split_at(cut);
    let count = |ms: &[(&str, Vec<bool>)]| -> (u64, u64) {
        let n = ms.iter().map(|m| m.1.len()).sum::<usize>() as u64;
        let x = ms.iter().flat_map(|m| &m.1).filter(|v| **v).count() as u64;
        (x, n)
    };
    let ((xa, na), (xb, nb)) = (count(early), count(late));
    if na < MIN_SIDE || nb < MIN_SIDE {
        return format!(
            "Too few sessions with a clear goal to compare your earlier months with your later ones (at least {MIN_SIDE} on each side)."
        );
    }
    let (d, lo, hi) = newcombe(xb, nb, xa, na);
    let span = |ms: &[(&str, Vec<bool>)]| {
        let (a, b) = (ms[0].0, ms[ms.len() - 1].0);
        if a == b {
            a.to_string()
        } else {
            format!("{a} to {b}")
        }
    };
    format!(
        "Verified success was {:.0}% in your earlier months ({}, n={na}) and {:.0}% in the later ones ({}, n={nb}): {:+.0} points [{:+.0}, {:+.0}]{}.",
        xa as f64 / na as f64 * 100.0,
        span(early),
        xb as f64 / nb as f64 * 100.0,
        span(late),
        d * 100.0,
        lo * 100.0,
        hi * 100.0,
        if lo > 0.0 || hi < 0.0 {
            ""
        } else {
            ", an interval that includes no change"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use agentstat_facets::Facet;

    fn month(mut f: Facet, m: &str) -> Facet {
        f.telemetry.month = Some(m.into());
        f
    }

    #[test]
    fn three_months_make_a_trend_two_do_not() {
        let mut f = Vec::new();
        for _ in 0..6 {
            f.push(month(failed(), "2026-01"));
        }
        for _ in 0..3 {
            f.push(month(ok(), "2026-02"));
            f.push(month(ok(), "2026-03"));
        }
        let t = table(&obs(&f), 0).expect("three months");
        let labels: Vec<&str> = t.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["2026-01 (n=6)", "2026-02 (n=3)", "2026-03 (n=3)"]);
        assert_eq!(t.rows[0].cells[0].value, Some(0.0));
        assert_eq!(t.rows[0].cells[1].value, Some(1.0));
        assert!(
            t.reading.starts_with("Verified success was 0% in your earlier months (2026-01, n=6) and 100% in the later ones (2026-02 to 2026-03, n=6): +100 points"),
            "{}",
            t.reading
        );
        assert!(!t.reading.contains("includes no change"), "{}", t.reading);
        let two: Vec<Facet> = f
            .into_iter()
            .filter(|x| x.telemetry.month.as_deref() != Some("2026-03"))
            .collect();
        assert!(table(&obs(&two), 0).is_none());
    }
}
