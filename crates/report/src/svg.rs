//! Inline SVG charts, one per [`Chart`] kind, drawn from a results [`Table`].
//!
//! Hand-written SVG (no charting dependency): the page must work offline and every number drawn
//! is also in the table under the chart. Every chart carries `role="img"`, a `<title>` and a
//! `<desc>`, axis titles, and an explicit "suppressed" label wherever a cell was withheld — a
//! suppressed cell is never drawn as a zero-length bar.
//!
//! Charts cannot lie by accident: the value axis is set by the estimates, never by an interval
//! (an interval may widen it a little, see [`Scale::fit`]; beyond that it is clipped at the
//! axis end and marked with an arrowhead and a footnote); a zero-width interval (degenerate
//! variance) is never drawn, the chart says "too few sessions" instead; axis titles name what
//! is plotted. The value axis is written on the `<svg>` (`data-axis-lo`, `data-axis-hi`,
//! `data-axis-log`) so the browser test can hold it to the estimates.

use crate::fmt::{esc, is_share, safe_id, tick, value, zero_width};
use agentstat_stats::results::{Cell, Chart, Table};
use std::fmt::Write;

/// Colour-blind-safe palette (Okabe–Ito, reordered for contrast on white).
pub const PALETTE: [&str; 9] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D1F", "#555555",
    "#B0B0B0",
];

const W: f64 = 760.0;

/// The chart for a table, or `None` when the table is meant as a plain table or has nothing
/// to draw.
pub fn chart(t: &Table, min_users: u32) -> Option<String> {
    if t.rows.is_empty() || t.columns.is_empty() {
        return None;
    }
    let mut c = Canvas::new(t, min_users);
    match t.chart {
        Chart::None => return None,
        Chart::Bars => bars(t, &mut c),
        Chart::Points => points(t, &mut c),
        Chart::Box => boxes(t, &mut c),
        Chart::Lines => lines(t, &mut c),
        Chart::Stacked => stacked(t, &mut c),
        Chart::Histogram => histogram(t, &mut c),
    }
    Some(c.finish())
}

/// Accumulates the SVG body and its height, and remembers suppressed cells for the footnote.
struct Canvas {
    id: String,
    title: String,
    desc: String,
    /// Drawn first, beneath the data (grid lines, row bands).
    under: String,
    body: String,
    height: f64,
    suppressed: Vec<String>,
    min_users: u32,
    /// Intervals clipped at an axis end.
    clipped: usize,
    /// The value axis, written on the `<svg>` for the browser test.
    axis: Option<Scale>,
}

impl Canvas {
    fn new(t: &Table, min_users: u32) -> Canvas {
        let id = format!("c-{}", safe_id(&t.id));
        let mut desc = String::new();
        if !t.reading.is_empty() {
            desc.push_str(&t.reading);
            desc.push(' ');
        }
        desc.push_str("The numbers are in the table below the chart.");
        Canvas {
            id,
            title: format!("{}: {}", t.figure, t.title),
            desc,
            under: String::new(),
            body: String::new(),
            height: 0.0,
            suppressed: Vec::new(),
            min_users,
            clipped: 0,
            axis: None,
        }
    }

    fn hatch(&self) -> String {
        format!("url(#{}-hatch)", self.id)
    }

    fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, s: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" class="{class}">{}</text>"#,
            esc(s)
        );
    }

    /// A grey hatched box labelled "suppressed", with a tooltip saying why.
    fn suppressed_box(&mut self, x: f64, y: f64, w: f64, h: f64, what: &str, label: bool) {
        let why = self.why();
        let _ = write!(
            self.body,
            r##"<g class="supp"><title>{}: suppressed ({})</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{}" stroke="#999" stroke-width="0.5"/>"##,
            esc(what),
            esc(&why),
            self.hatch()
        );
        if label {
            let _ = write!(
                self.body,
                r#"<text x="{:.1}" y="{:.1}" class="supp-label">suppressed</text>"#,
                x + 6.0,
                y + h / 2.0 + 4.0
            );
        }
        self.body.push_str("</g>");
        self.suppressed.push(what.to_string());
    }

    fn why(&self) -> String {
        format!("fewer than {} people contributed", self.min_users)
    }

    fn legend(&mut self, y: f64, x0: f64, names: &[String]) -> f64 {
        let mut x = x0;
        let mut y = y;
        for (i, n) in names.iter().enumerate() {
            let w = 22.0 + n.chars().count() as f64 * 6.6;
            if x + w > W - 10.0 && x > x0 {
                x = x0;
                y += 18.0;
            }
            let _ = write!(
                self.body,
                r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" rx="2" fill="{}"/>"#,
                y - 10.0,
                PALETTE[i % PALETTE.len()]
            );
            self.text(x + 16.0, y, "start", "lg", n);
            x += w + 10.0;
        }
        y + 20.0
    }

    /// A horizontal interval from `lo` to `hi` at height `y`, clipped to the axis: a clipped
    /// end gets an arrowhead (class `clip`) whose tooltip gives the true end. With `stroke`
    /// empty it is drawn in the ink colour with end caps (`path.ci`, bars), else as a line in
    /// the series colour (`line.iv`, points). Returns the right end in pixels.
    #[allow(clippy::too_many_arguments)]
    fn interval(&mut self, s: &Scale, lo: f64, hi: f64, y: f64, stroke: &str, unit: &str) -> f64 {
        let (a, b) = (s.at(lo), s.at(hi));
        let eps = |v: f64| 1e-12 * v.abs().max(1.0);
        let (clip_lo, clip_hi) = (lo < s.lo - eps(s.lo), hi > s.hi + eps(s.hi));
        if stroke.is_empty() {
            let mut d = format!("M{a:.1} {y:.1}H{b:.1}");
            for (x, clipped) in [(a, clip_lo), (b, clip_hi)] {
                if !clipped {
                    let _ = write!(d, "M{x:.1} {:.1}V{:.1}", y - 5.0, y + 5.0);
                }
            }
            let _ = write!(self.body, r#"<path d="{d}" class="ci"/>"#);
        } else {
            let _ = write!(
                self.body,
                r#"<line x1="{a:.1}" y1="{y:.1}" x2="{b:.1}" y2="{y:.1}" stroke="{stroke}" stroke-width="2" class="iv"/>"#
            );
        }
        let fill = if stroke.is_empty() { "#1d2430" } else { stroke };
        for (end, x, clipped, dir) in [(lo, a, clip_lo, -1.0), (hi, b, clip_hi, 1.0)] {
            if clipped {
                self.clipped += 1;
                let _ = write!(
                    self.body,
                    r#"<path class="clip" d="M{:.1} {:.1}l{:.1} 5l{:.1} 5z" fill="{fill}"><title>interval continues to {} (clipped at the axis)</title></path>"#,
                    x - dir * 7.0,
                    y - 5.0,
                    dir * 7.0,
                    -dir * 7.0,
                    esc(&value(end, unit))
                );
            }
        }
        b
    }

    fn finish(mut self) -> String {
        let mut h = self.height;
        if self.clipped > 0 {
            let n = self.clipped;
            let note = format!(
                "▸ {n} interval end{} run{} past the axis and {} clipped there; the full intervals are in the table below.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" },
                if n == 1 { "is" } else { "are" }
            );
            self.text(8.0, h + 14.0, "start", "foot", &note);
            h += 22.0;
        }
        if !self.suppressed.is_empty() {
            let n = self.suppressed.len();
            let list = self.suppressed.join("; ");
            let note = format!(
                "{n} suppressed cell{} ({}): {list}",
                if n == 1 { "" } else { "s" },
                self.why()
            );
            // One line in the chart; the full list is in the table below it.
            let note = if note.chars().count() > 118 {
                let cut: String = note.chars().take(115).collect();
                format!("{cut}…")
            } else {
                note
            };
            self.text(8.0, h + 14.0, "start", "foot", &note);
            h += 24.0;
        }
        let axis = self.axis.map_or(String::new(), |a| {
            format!(
                r#" data-axis-lo="{}" data-axis-hi="{}" data-axis-log="{}" data-clipped="{}""#,
                a.lo, a.hi, a.log, self.clipped
            )
        });
        format!(
            r##"<svg class="chart" role="img" aria-labelledby="{id}-t {id}-d" viewBox="0 0 {W} {h:.0}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"{axis}><title id="{id}-t">{t}</title><desc id="{id}-d">{d}</desc><defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2"/></pattern></defs>{under}{body}</svg>"##,
            id = self.id,
            t = esc(&self.title),
            d = esc(&self.desc),
            under = self.under,
            body = self.body
        )
    }
}

/// A linear or logarithmic value axis mapped onto `[x0, x1]` pixels.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    p0: f64,
    p1: f64,
    log: bool,
}

impl Scale {
    fn linear(vals: &[f64], p0: f64, p1: f64, share: bool) -> Scale {
        let (mut lo, mut hi) = bounds(vals);
        lo = lo.min(0.0);
        hi = hi.max(0.0);
        if share {
            // Proportions live in [0, 1]; a normal-approximation interval may not.
            lo = lo.max(0.0);
            hi = hi.min(1.0);
        }
        if share && lo >= 0.0 && hi > 0.6 && hi <= 1.0 {
            hi = 1.0;
        }
        if hi - lo <= 0.0 {
            hi = lo + if share { 1.0 } else { 1.0_f64.max(lo.abs()) };
        }
        let step = nice_step((hi - lo) / 5.0);
        lo = (lo / step).floor() * step;
        hi = (hi / step).ceil() * step;
        Scale {
            lo,
            hi,
            p0,
            p1,
            log: false,
        }
    }

    /// The axis for estimates `est` and interval ends `ends`: the estimates set it; an
    /// interval widens a linear axis only up to three times the largest estimate in size
    /// (a log axis: to half the smallest and twice the largest), the rest is clipped and
    /// marked. Log scale for
    /// skewed positive estimates when `log_ok`, linear otherwise.
    fn fit(est: &[f64], ends: &[f64], p0: f64, p1: f64, share: bool, log_ok: bool) -> Scale {
        let (elo, ehi) = bounds(est);
        if est.iter().all(|v| !v.is_finite()) {
            return Scale::linear(ends, p0, p1, share);
        }
        if log_ok && !share && elo > 0.0 && ehi / elo > 20.0 {
            let mut v = est.to_vec();
            v.extend(
                ends.iter()
                    .filter(|e| e.is_finite() && **e >= elo / 2.0 && **e <= ehi * 2.0),
            );
            return Scale::auto(&v, p0, p1, share);
        }
        let m = elo.abs().max(ehi.abs());
        let mut v = est.to_vec();
        v.extend(
            ends.iter()
                .filter(|e| e.is_finite())
                .map(|e| e.clamp(-3.0 * m, 3.0 * m)),
        );
        let mut s = Scale::linear(&v, p0, p1, share);
        if m > 0.0 {
            s.lo = s.lo.max(-3.0 * m);
            s.hi = s.hi.min(3.0 * m);
        }
        s
    }

    /// Log scale for skewed positive data (per-prompt counts), linear otherwise.
    fn auto(vals: &[f64], p0: f64, p1: f64, share: bool) -> Scale {
        let (lo, hi) = bounds(vals);
        if !share && lo > 0.0 && hi / lo > 20.0 {
            let lo = 10f64.powf(lo.log10().floor());
            let hi = 10f64.powf(hi.log10().ceil());
            return Scale {
                lo,
                hi,
                p0,
                p1,
                log: true,
            };
        }
        Scale::linear(vals, p0, p1, share)
    }

    fn at(&self, v: f64) -> f64 {
        let f = if self.log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        self.p0 + f.clamp(0.0, 1.0) * (self.p1 - self.p0)
    }

    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let mut out = Vec::new();
            let mut d = self.lo;
            while d <= self.hi * 1.0001 {
                for m in [1.0, 2.0, 5.0] {
                    let v = d * m;
                    if v >= self.lo * 0.9999 && v <= self.hi * 1.0001 {
                        out.push(v);
                    }
                }
                d *= 10.0;
            }
            out
        } else {
            // From the first multiple of the step at or above `lo` (the axis may end between
            // ticks when [`Scale::fit`] held it to the estimates).
            let step = nice_step((self.hi - self.lo) / 5.0);
            let first = (self.lo / step - 1e-9).ceil();
            let n = ((self.hi / step + 1e-9).floor() - first).max(0.0) as i64;
            (0..=n).map(|i| (first + i as f64) * step).collect()
        }
    }
}

fn bounds(vals: &[f64]) -> (f64, f64) {
    let finite: Vec<f64> = vals.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return (0.0, 1.0);
    }
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Estimates and interval ends of the visible cells in the given columns (a zero-width
/// interval is not drawn, so it has no ends).
fn visible(t: &Table, cols: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let (mut v, mut e) = (Vec::new(), Vec::new());
    for r in &t.rows {
        for &ci in cols {
            if let Some(c) = r.cells.get(ci) {
                if c.suppressed {
                    continue;
                }
                v.extend(c.value);
                if c.value.is_some() && !zero_width(c) {
                    e.extend(c.ci_low);
                    e.extend(c.ci_high);
                }
            }
        }
    }
    (v, e)
}

/// An axis title for several series in one unit: what the column labels share (`Actions per
/// prompt (median)`, `Words per prompt (median)` → `Actions or words per prompt`), else the
/// unit's name.
fn series_title(labels: &[String], unit: &str) -> String {
    if is_share(unit) || unit == "coef" {
        return unit_title(unit);
    }
    let mut heads: Vec<String> = Vec::new();
    let stems: Vec<&str> = labels
        .iter()
        .map(|l| l.split(" (").next().unwrap_or(l).trim())
        .collect();
    let words: Vec<Vec<&str>> = stems.iter().map(|s| s.split(' ').collect()).collect();
    let Some(first) = words.first() else {
        return unit_title(unit);
    };
    let mut k = 0;
    while k < first.len()
        && words
            .iter()
            .all(|w| w.len() > k && w[w.len() - 1 - k] == first[first.len() - 1 - k])
    {
        k += 1;
    }
    if k == 0 {
        return unit_title(unit);
    }
    for w in &words {
        let h = w[..w.len() - k].join(" ");
        if !heads.iter().any(|x| x.eq_ignore_ascii_case(&h)) {
            heads.push(h);
        }
    }
    let tail = first[first.len() - k..].join(" ");
    let heads: Vec<String> = heads
        .iter()
        .enumerate()
        .map(|(i, h)| if i == 0 { h.clone() } else { h.to_lowercase() })
        .collect();
    let head = match heads.len() {
        0 => String::new(),
        1 => heads[0].clone(),
        n => format!("{} or {}", heads[..n - 1].join(", "), heads[n - 1]),
    };
    if head.is_empty() {
        tail
    } else {
        format!("{head} {tail}")
    }
}

fn unit_title(unit: &str) -> String {
    match unit {
        "share" => "share of sessions".into(),
        "rate" => "rate".into(),
        "coef" => "coefficient (per level)".into(),
        "count" => "sessions".into(),
        "usd" => "US dollars (index)".into(),
        "ratio" => "ratio".into(),
        "pp" => "difference (percentage points)".into(),
        u => u.to_string(),
    }
}

fn label_width(t: &Table) -> f64 {
    let longest = t
        .rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(4) as f64;
    // Labels that carry their own count (`… (12 of 39 sessions)`) get more room.
    let max = if t.rows.iter().any(|r| count_suffix(&r.label).is_some()) {
        420.0
    } else {
        290.0
    };
    (longest * 7.0 + 16.0).clamp(110.0, max)
}

/// The trailing `(n=12)` or `(12 of 39 sessions)` of a label, with its leading space.
fn count_suffix(s: &str) -> Option<usize> {
    let i = s.rfind(" (")?;
    let tail = &s[i..];
    (tail.ends_with(')')
        && (tail.contains("n=") || tail.contains(" of "))
        && tail.chars().any(|c| c.is_ascii_digit()))
    .then_some(i)
}

/// A label cut to fit `px`; a trailing count is kept whole and the name before it is cut, so a
/// label never loses its own n.
fn clip_label(s: &str, px: f64) -> String {
    let max = ((px - 14.0) / 6.8).max(4.0) as usize;
    if s.chars().count() <= max {
        return s.to_string();
    }
    if let Some(i) = count_suffix(s) {
        let (head, tail) = s.split_at(i);
        let room = max.saturating_sub(tail.chars().count());
        if room >= 5 {
            let cut: String = head.chars().take(room - 1).collect();
            return format!("{}…{tail}", cut.trim_end());
        }
        return tail.trim_start().to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{cut}…")
}

fn cell(t: &Table, r: usize, c: usize) -> Cell {
    t.rows[r].cells.get(c).copied().unwrap_or(Cell {
        value: None,
        ..Default::default()
    })
}

/// A horizontal value axis at `y` with grid lines up to `top`, tick labels and a title.
fn x_axis(c: &mut Canvas, s: &Scale, top: f64, y: f64, unit: &str, title: &str) {
    c.axis = Some(*s);
    for v in s.ticks() {
        let x = s.at(v);
        let _ = write!(
            c.under,
            r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{y:.1}" class="grid"/>"#
        );
        c.text(x, y + 14.0, "middle", "tick", &tick(v, unit));
    }
    if !s.log && s.lo < 0.0 && s.hi > 0.0 {
        let x = s.at(0.0);
        let _ = write!(
            c.body,
            r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{y:.1}" class="zero"/>"#
        );
    }
    let _ = write!(
        c.body,
        r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" class="axis"/>"#,
        s.p0, s.p1
    );
    let t = if s.log {
        format!("{title} (log scale)")
    } else {
        title.to_string()
    };
    c.text((s.p0 + s.p1) / 2.0, y + 32.0, "middle", "axis-title", &t);
}

/// Horizontal bars: the first column per row, with its interval.
fn bars(t: &Table, c: &mut Canvas) {
    let lw = label_width(t);
    let unit = t.columns[0].unit.clone();
    let (est, ends) = visible(t, &[0]);
    let s = Scale::fit(&est, &ends, lw, W - 70.0, is_share(&unit), false);
    let row_h = 26.0;
    let top = 10.0;
    for (i, r) in t.rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        c.text(
            lw - 8.0,
            y + row_h / 2.0 + 4.0,
            "end",
            "rl",
            &clip_label(&r.label, lw),
        );
        let cl = cell(t, i, 0);
        if cl.suppressed {
            c.suppressed_box(s.p0, y + 4.0, s.p1 - s.p0, row_h - 8.0, &r.label, true);
            continue;
        }
        let Some(v) = cl.value else {
            c.text(
                s.p0 + 6.0,
                y + row_h / 2.0 + 4.0,
                "start",
                "na",
                "n/a (not estimable)",
            );
            continue;
        };
        let (x0, x1) = (
            s.at(0.0_f64.max(s.lo)).min(s.at(v)),
            s.at(0.0_f64.max(s.lo)).max(s.at(v)),
        );
        let _ = write!(
            c.body,
            r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" rx="2"><title>{}: {}</title></rect>"#,
            y + 5.0,
            (x1 - x0).max(1.0),
            row_h - 10.0,
            PALETTE[0],
            esc(&r.label),
            esc(&value(v, &unit))
        );
        let mut end = x1;
        let few = zero_width(&cl);
        if let (Some(lo), Some(hi), false) = (cl.ci_low, cl.ci_high, few) {
            let b = c.interval(&s, lo, hi, y + row_h / 2.0, "", &unit);
            end = end.max(b);
        }
        let label = if few {
            format!("{} · too few sessions", value(v, &unit))
        } else {
            value(v, &unit)
        };
        c.text(end + 5.0, y + row_h / 2.0 + 4.0, "start", "vl", &label);
    }
    let y = top + t.rows.len() as f64 * row_h + 4.0;
    x_axis(c, &s, top, y, &unit, &t.columns[0].label);
    c.height = y + 42.0;
}

/// Points with intervals: one row per category, one series per column.
fn points(t: &Table, c: &mut Canvas) {
    let lw = label_width(t);
    let unit = t.columns[0].unit.clone();
    // One axis, one unit: columns in another unit stay in the table below the chart.
    let cols: Vec<usize> = (0..t.columns.len())
        .filter(|&j| t.columns[j].unit == unit)
        .collect();
    let names: Vec<String> = cols.iter().map(|&j| t.columns[j].label.clone()).collect();
    let top = if names.len() > 1 {
        c.legend(16.0, lw, &names)
    } else {
        8.0
    };
    let (est, ends) = visible(t, &cols);
    let s = Scale::fit(&est, &ends, lw, W - 30.0, is_share(&unit), true);
    let k = cols.len() as f64;
    let row_h = (14.0 * k + 10.0).max(26.0);
    for (i, r) in t.rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        if i % 2 == 1 {
            let _ = write!(
                c.under,
                r#"<rect x="{lw:.1}" y="{y:.1}" width="{:.1}" height="{row_h:.1}" class="band"/>"#,
                s.p1 - lw
            );
        }
        c.text(
            lw - 8.0,
            y + row_h / 2.0 + 4.0,
            "end",
            "rl",
            &clip_label(&r.label, lw),
        );
        let all_supp = cols.iter().all(|&j| cell(t, i, j).suppressed);
        if all_supp {
            c.suppressed_box(s.p0, y + 4.0, s.p1 - s.p0, row_h - 8.0, &r.label, true);
            continue;
        }
        if cols.iter().all(|&j| cell(t, i, j).value.is_none()) {
            // A difference of shares is left out below a minimum of sessions per side.
            let why = if unit == "pp" {
                "n/a (too few sessions on one side to compare)"
            } else {
                "n/a (not estimable)"
            };
            c.text(s.p0 + 6.0, y + row_h / 2.0 + 4.0, "start", "na", why);
            continue;
        }
        for (n, &j) in cols.iter().enumerate() {
            let cl = cell(t, i, j);
            let ym = y + 5.0 + (n as f64 + 0.5) * (row_h - 10.0) / k;
            let color = PALETTE[n % PALETTE.len()];
            let what = format!("{} · {}", r.label, t.columns[j].label);
            if cl.suppressed {
                c.suppressed_box(s.p0, ym - 5.0, 70.0, 10.0, &what, false);
                c.text(s.p0 + 74.0, ym + 4.0, "start", "supp-label", "suppressed");
                continue;
            }
            let Some(v) = cl.value else { continue };
            if zero_width(&cl) {
                let x = s.at(v);
                let (tx, anchor) = if x + 220.0 > W {
                    (x - 8.0, "end")
                } else {
                    (x + 8.0, "start")
                };
                c.text(
                    tx,
                    ym + 4.0,
                    anchor,
                    "na",
                    "too few sessions for an interval",
                );
            } else if let (Some(lo), Some(hi)) = (cl.ci_low, cl.ci_high) {
                c.interval(&s, lo, hi, ym, color, &unit);
            }
            let _ = write!(
                c.body,
                r#"<circle cx="{:.1}" cy="{ym:.1}" r="4.5" fill="{color}"><title>{}: {}</title></circle>"#,
                s.at(v),
                esc(&what),
                esc(&value(v, &unit))
            );
        }
    }
    let y = top + t.rows.len() as f64 * row_h + 4.0;
    let title = if cols.len() == 1 && unit == "pp" {
        format!("{} (percentage points)", t.columns[0].label)
    } else if cols.len() == 1 {
        t.columns[0].label.clone()
    } else {
        series_title(&names, &unit)
    };
    x_axis(c, &s, top, y, &unit, &title);
    c.height = y + 42.0;
}

fn col_index(t: &Table, key: &str) -> Option<usize> {
    t.columns.iter().position(|c| c.key == key)
}

/// Box plots: whiskers p5–p95, box p25–p75, median line, geometric-mean diamond.
fn boxes(t: &Table, c: &mut Canvas) {
    let keys = ["p5", "p25", "median", "p75", "p95"];
    let idx: Vec<Option<usize>> = keys.iter().map(|k| col_index(t, k)).collect();
    let gm = col_index(t, "geomean");
    if idx.iter().any(Option::is_none) {
        // Not the documented box columns: fall back to points, which draw any columns.
        return points(t, c);
    }
    let idx: Vec<usize> = idx.into_iter().flatten().collect();
    let mut all = idx.clone();
    all.extend(gm);
    let lw = label_width(t);
    let unit = t.columns[idx[2]].unit.clone();
    let top = c.legend(
        16.0,
        lw,
        &["p25–p75, median".into(), "geometric mean".into()],
    );
    // The legend's second swatch is drawn as a diamond below; keep the colours consistent.
    // Whiskers are quantiles (estimates), not intervals: they all set the axis.
    let (mut est, ends) = visible(t, &all);
    est.extend(ends);
    let s = Scale::auto(&est, lw, W - 40.0, is_share(&unit));
    let row_h = 30.0;
    for (i, r) in t.rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let ym = y + row_h / 2.0;
        c.text(lw - 8.0, ym + 4.0, "end", "rl", &clip_label(&r.label, lw));
        let q: Vec<Cell> = idx.iter().map(|&j| cell(t, i, j)).collect();
        if q.iter().any(|x| x.suppressed) {
            c.suppressed_box(s.p0, y + 5.0, s.p1 - s.p0, row_h - 10.0, &r.label, true);
            continue;
        }
        let v: Vec<Option<f64>> = q.iter().map(|x| x.value).collect();
        let (Some(p5), Some(p25), Some(med), Some(p75), Some(p95)) = (v[0], v[1], v[2], v[3], v[4])
        else {
            c.text(
                s.p0 + 6.0,
                ym + 4.0,
                "start",
                "na",
                "n/a (too few sessions)",
            );
            continue;
        };
        if (p95 - p5).abs() <= 1e-12 * p95.abs().max(1.0) {
            // No spread (one session, or all alike): a median mark, not a zero-width box.
            let x = s.at(med);
            let _ = write!(
                c.body,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{}" stroke-width="2.5"><title>{}: median {} (no spread)</title></line>"#,
                y + 6.0,
                y + row_h - 6.0,
                PALETTE[0],
                esc(&r.label),
                esc(&value(med, &unit))
            );
            let (tx, anchor) = if x + 200.0 > W {
                (x - 8.0, "end")
            } else {
                (x + 8.0, "start")
            };
            c.text(tx, ym + 4.0, anchor, "na", "too few sessions for a spread");
            continue;
        }
        let tip = format!(
            "{}: p5 {}, p25 {}, median {}, p75 {}, p95 {}",
            r.label,
            value(p5, &unit),
            value(p25, &unit),
            value(med, &unit),
            value(p75, &unit),
            value(p95, &unit)
        );
        // Whiskers (p5–p25, p75–p95) and their end caps, each drawn only when it has a length:
        // with few sessions (or published quantiles that average order statistics) a whisker
        // can collapse onto the box, and a zero-length segment would read as an interval.
        let mut whiskers = String::new();
        for (a, b) in [(p5, p25), (p75, p95)] {
            let (xa, xb) = (s.at(a), s.at(b));
            if (xb - xa).abs() >= 0.05 {
                let cap = if a == p5 { xa } else { xb };
                let _ = write!(
                    whiskers,
                    "M{xa:.1} {ym:.1}H{xb:.1}M{cap:.1} {:.1}V{:.1}",
                    ym - 5.0,
                    ym + 5.0
                );
            }
        }
        let whisker_path = if whiskers.is_empty() {
            String::new()
        } else {
            format!(r#"<path d="{whiskers}" class="ci"/>"#)
        };
        let _ = write!(
            c.body,
            r#"<g><title>{}</title>{whisker_path}<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" fill-opacity="0.35" stroke="{}"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="2.5"/></g>"#,
            esc(&tip),
            s.at(p25),
            y + 6.0,
            (s.at(p75) - s.at(p25)).max(1.0),
            row_h - 12.0,
            PALETTE[0],
            PALETTE[0],
            s.at(med),
            y + 6.0,
            s.at(med),
            y + row_h - 6.0,
            PALETTE[0]
        );
        if let Some(g) =
            gm.map(|j| cell(t, i, j))
                .and_then(|x| if x.suppressed { None } else { x.value })
        {
            let x = s.at(g);
            let _ = write!(
                c.body,
                r#"<path d="M{x:.1} {:.1}l5 5l-5 5l-5 -5z" fill="{}"><title>{}: geometric mean {}</title></path>"#,
                ym - 5.0,
                PALETTE[1],
                esc(&r.label),
                esc(&value(g, &unit))
            );
        }
    }
    let y = top + t.rows.len() as f64 * row_h + 4.0;
    x_axis(c, &s, top, y, &unit, &t.title);
    c.height = y + 42.0;
}

/// Lines over ordered rows (months): one line per column; gaps where a cell is withheld.
fn lines(t: &Table, c: &mut Canvas) {
    let names: Vec<String> = t.columns.iter().map(|c| c.label.clone()).collect();
    let left = 64.0;
    let top = c.legend(16.0, left, &names);
    let cols: Vec<usize> = (0..t.columns.len()).collect();
    let unit = t.columns[0].unit.clone();
    let plot_h = 220.0;
    // Lines draw values only: an interval that is not drawn must not set the axis.
    let ys = Scale::linear(&visible(t, &cols).0, top + plot_h, top, is_share(&unit));
    c.axis = Some(ys);
    let n = t.rows.len();
    let x_at = |i: usize| {
        if n == 1 {
            (left + W - 20.0) / 2.0
        } else {
            left + 10.0 + i as f64 * (W - 40.0 - left) / (n - 1) as f64
        }
    };
    for v in ys.ticks() {
        let y = ys.at(v);
        let _ = write!(
            c.body,
            r#"<line x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" class="grid"/>"#,
            W - 20.0
        );
        c.text(left - 6.0, y + 4.0, "end", "tick", &tick(v, &unit));
    }
    let base = top + plot_h;
    let _ = write!(
        c.body,
        r#"<line x1="{left:.1}" y1="{base:.1}" x2="{:.1}" y2="{base:.1}" class="axis"/>"#,
        W - 20.0
    );
    let every = n.div_ceil(12).max(1);
    let rotate = n > 8;
    for (i, r) in t.rows.iter().enumerate() {
        if i % every != 0 && i != n - 1 {
            continue;
        }
        let x = x_at(i);
        if rotate {
            let _ = write!(
                c.body,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="end" class="tick" transform="rotate(-40 {x:.1} {:.1})">{}</text>"#,
                base + 14.0,
                base + 14.0,
                esc(&clip_label(&r.label, 110.0))
            );
        } else {
            c.text(x, base + 16.0, "middle", "tick", &r.label);
        }
    }
    for (j, col) in t.columns.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        let mut d = String::new();
        let mut pen = false;
        for i in 0..n {
            let cl = cell(t, i, j);
            if cl.suppressed {
                pen = false;
                let what = format!("{} · {}", t.rows[i].label, col.label);
                c.suppressed_box(x_at(i) - 4.0, base - 14.0, 8.0, 14.0, &what, false);
                continue;
            }
            match cl.value {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1}",
                        if pen { "L" } else { "M" },
                        x_at(i),
                        ys.at(v)
                    );
                    pen = true;
                    let _ = write!(
                        c.body,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"><title>{} · {}: {}</title></circle>"#,
                        x_at(i),
                        ys.at(v),
                        esc(&t.rows[i].label),
                        esc(&col.label),
                        esc(&value(v, &unit))
                    );
                }
                None => pen = false,
            }
        }
        if !d.is_empty() {
            let _ = write!(
                c.body,
                r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="2"/>"#
            );
        }
    }
    let ytitle = if t.columns.len() == 1 {
        t.columns[0].label.clone()
    } else {
        unit_title(&unit)
    };
    let ym = top + plot_h / 2.0;
    let _ = write!(
        c.body,
        r#"<text x="14" y="{ym:.1}" text-anchor="middle" class="axis-title" transform="rotate(-90 14 {ym:.1})">{}</text>"#,
        esc(&ytitle)
    );
    c.height = base + if rotate { 70.0 } else { 30.0 };
    c.text(
        (left + W - 20.0) / 2.0,
        c.height - 4.0,
        "middle",
        "axis-title",
        "month",
    );
    c.height += 6.0;
}

/// Stacked shares: one 100% bar per row, one segment per column.
fn stacked(t: &Table, c: &mut Canvas) {
    let lw = label_width(t);
    let names: Vec<String> = t.columns.iter().map(|c| c.label.clone()).collect();
    let top = c.legend(16.0, 10.0, &names);
    let s = Scale {
        lo: 0.0,
        hi: 1.0,
        p0: lw,
        p1: W - 20.0,
        log: false,
    };
    let row_h = 28.0;
    for (i, r) in t.rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        c.text(
            lw - 8.0,
            y + row_h / 2.0 + 4.0,
            "end",
            "rl",
            &clip_label(&r.label, lw),
        );
        let mut acc = 0.0;
        let mut hidden = Vec::new();
        for (j, col) in t.columns.iter().enumerate() {
            let cl = cell(t, i, j);
            if cl.suppressed {
                hidden.push(col.label.clone());
                continue;
            }
            let Some(v) = cl.value else { continue };
            let v = v.clamp(0.0, 1.0 - acc);
            let (x0, x1) = (s.at(acc), s.at(acc + v));
            let _ = write!(
                c.body,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} · {}: {}</title></rect>"#,
                y + 4.0,
                (x1 - x0).max(0.0),
                row_h - 8.0,
                PALETTE[j % PALETTE.len()],
                esc(&r.label),
                esc(&col.label),
                esc(&value(v, "share"))
            );
            if x1 - x0 > 30.0 {
                let fg =
                    if j % PALETTE.len() == 0 || j % PALETTE.len() == 5 || j % PALETTE.len() == 7 {
                        "seg-label light"
                    } else {
                        "seg-label"
                    };
                c.text(
                    (x0 + x1) / 2.0,
                    y + row_h / 2.0 + 4.0,
                    "middle",
                    fg,
                    &value(v, "share"),
                );
            }
            acc += v;
        }
        if !hidden.is_empty() {
            let what = format!("{} · {}", r.label, hidden.join(", "));
            let rest = (1.0 - acc).max(0.0);
            let x0 = s.at(acc);
            let w = (s.at(1.0) - x0).max(70.0);
            c.suppressed_box(
                x0.min(s.p1 - 70.0),
                y + 4.0,
                w,
                row_h - 8.0,
                &what,
                rest > 0.1,
            );
        }
    }
    let y = top + t.rows.len() as f64 * row_h + 4.0;
    x_axis(c, &s, top, y, "share", "share of sessions");
    // Each bar is the whole (100%): no estimate sets this axis, so none is declared.
    c.axis = None;
    c.height = y + 42.0;
}

/// A histogram: rows are bins on the x axis, one bar per column in each bin (grouped when a
/// table has several distributions, e.g. planning and execution decisions).
fn histogram(t: &Table, c: &mut Canvas) {
    let unit = t.columns[0].unit.clone();
    let cols: Vec<usize> = (0..t.columns.len())
        .filter(|&j| t.columns[j].unit == unit)
        .collect();
    let left = 64.0;
    let names: Vec<String> = cols.iter().map(|&j| t.columns[j].label.clone()).collect();
    let top = if cols.len() > 1 {
        c.legend(16.0, left, &names)
    } else {
        14.0
    };
    let plot_h = 200.0;
    // Bars start at zero; intervals are in the table, not drawn, so they do not set the scale.
    let vals: Vec<f64> = t
        .rows
        .iter()
        .flat_map(|r| cols.iter().filter_map(move |&j| r.cells.get(j)))
        .filter(|c| !c.suppressed)
        .filter_map(|c| c.value)
        .collect();
    let ys = Scale::linear(&vals, top + plot_h, top, is_share(&unit));
    c.axis = Some(ys);
    let n = t.rows.len();
    let bw = (W - 20.0 - left) / n as f64;
    let sub = (bw - 4.0) / cols.len() as f64;
    for v in ys.ticks() {
        let y = ys.at(v);
        let _ = write!(
            c.under,
            r#"<line x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" class="grid"/>"#,
            W - 20.0
        );
        c.text(left - 6.0, y + 4.0, "end", "tick", &tick(v, &unit));
    }
    let base = top + plot_h;
    for (i, r) in t.rows.iter().enumerate() {
        let x = left + i as f64 * bw;
        for (k, &j) in cols.iter().enumerate() {
            let cl = cell(t, i, j);
            let sx = x + 2.0 + k as f64 * sub;
            let what = if cols.len() > 1 {
                format!("{} · {}", r.label, t.columns[j].label)
            } else {
                r.label.clone()
            };
            if cl.suppressed {
                let h = plot_h.min(84.0);
                c.suppressed_box(sx, base - h, (sub - 1.0).max(1.0), h, &what, false);
                if sub >= 13.0 {
                    let xm = sx + sub / 2.0 + 4.0;
                    let ym = base - 6.0;
                    let _ = write!(
                        c.body,
                        r#"<text x="{xm:.1}" y="{ym:.1}" class="supp-label" transform="rotate(-90 {xm:.1} {ym:.1})">suppressed</text>"#
                    );
                }
            } else if let Some(v) = cl.value {
                let y = ys.at(v);
                let _ = write!(
                    c.body,
                    r#"<rect x="{sx:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                    (sub - 1.0).max(1.0),
                    (base - y).max(0.0),
                    PALETTE[k % PALETTE.len()],
                    esc(&what),
                    esc(&value(v, &unit))
                );
                if sub > 34.0 {
                    c.text(sx + sub / 2.0, y - 4.0, "middle", "vl", &value(v, &unit));
                }
            } else {
                c.text(sx + sub / 2.0, base - 6.0, "middle", "na", "n/a");
            }
        }
        c.text(
            x + bw / 2.0,
            base + 16.0,
            "middle",
            "tick",
            &clip_label(&r.label, bw + 8.0),
        );
    }
    let _ = write!(
        c.body,
        r#"<line x1="{left:.1}" y1="{base:.1}" x2="{:.1}" y2="{base:.1}" class="axis"/>"#,
        W - 20.0
    );
    let ym = top + plot_h / 2.0;
    let ytitle = if cols.len() == 1 {
        t.columns[0].label.clone()
    } else {
        unit_title(&unit)
    };
    let _ = write!(
        c.body,
        r#"<text x="14" y="{ym:.1}" text-anchor="middle" class="axis-title" transform="rotate(-90 14 {ym:.1})">{}</text>"#,
        esc(&ytitle)
    );
    c.text(
        (left + W - 20.0) / 2.0,
        base + 36.0,
        "middle",
        "axis-title",
        &t.title,
    );
    c.height = base + 44.0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_stats::results::{Column, Row};

    fn table(chart: Chart, cols: &[(&str, &str)], rows: &[(&str, Vec<Option<f64>>)]) -> Table {
        Table {
            id: "t1".into(),
            figure: "Fig. 1".into(),
            title: "Test".into(),
            reading: "A reading.".into(),
            chart,
            columns: cols
                .iter()
                .map(|(k, u)| Column {
                    key: k.to_string(),
                    label: k.to_string(),
                    unit: u.to_string(),
                })
                .collect(),
            rows: rows
                .iter()
                .map(|(l, vs)| Row {
                    label: l.to_string(),
                    cells: vs
                        .iter()
                        .map(|v| Cell {
                            value: *v,
                            suppressed: v.is_none(),
                            n_sessions: 3,
                            n_users: 1,
                            ..Default::default()
                        })
                        .collect(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn every_chart_kind_is_accessible_and_labels_suppression() {
        for chart in [
            Chart::Bars,
            Chart::Points,
            Chart::Lines,
            Chart::Stacked,
            Chart::Histogram,
        ] {
            let t = table(
                chart,
                &[("a", "share"), ("b", "share")],
                &[("r1", vec![Some(0.3), Some(0.7)]), ("r2", vec![None, None])],
            );
            let svg = chart_or_panic(&t);
            assert!(svg.contains("role=\"img\""), "{chart:?}");
            assert!(
                svg.contains("<title id=\"c-t1-t\">Fig. 1: Test</title>"),
                "{chart:?}"
            );
            assert!(svg.contains("<desc"), "{chart:?}");
            assert!(
                svg.contains("suppressed"),
                "{chart:?} must label suppressed cells"
            );
            assert!(!svg.contains("NaN"), "{chart:?}");
        }
    }

    fn chart_or_panic(t: &Table) -> String {
        chart(t, 5).unwrap_or_else(|| panic!("no chart for {:?}", t.chart))
    }

    #[test]
    fn box_plot_uses_log_scale_for_skewed_data() {
        let cols = [
            ("p5", "count"),
            ("p25", "count"),
            ("median", "count"),
            ("p75", "count"),
            ("p95", "count"),
            ("geomean", "count"),
        ];
        let t = table(
            Chart::Box,
            &cols,
            &[(
                "Novice",
                vec![
                    Some(0.5),
                    Some(2.0),
                    Some(5.0),
                    Some(12.0),
                    Some(80.0),
                    Some(4.0),
                ],
            )],
        );
        let svg = chart_or_panic(&t);
        assert!(svg.contains("(log scale)"));
        assert!(svg.contains("geometric mean"));
    }

    #[test]
    fn a_whisker_that_collapses_onto_the_box_is_not_drawn() {
        // p5 = p25 (few sessions, or quantiles averaged over k order statistics): the lower
        // whisker has no length and must not be drawn as a zero-length segment.
        let cols = [
            ("p5", "count"),
            ("p25", "count"),
            ("median", "count"),
            ("p75", "count"),
            ("p95", "count"),
        ];
        let t = table(
            Chart::Box,
            &cols,
            &[(
                "1 Novice",
                vec![Some(2.0), Some(2.0), Some(3.0), Some(5.0), Some(9.0)],
            )],
        );
        let svg = chart_or_panic(&t);
        let d = svg
            .split(r#"<path d=""#)
            .nth(1)
            .and_then(|x| x.split('"').next())
            .expect("the upper whisker is drawn");
        for seg in d.split('M').filter(|x| !x.is_empty()) {
            if let Some((start, end)) = seg.split_once('H') {
                let x0: f64 = start.split(' ').next().unwrap().parse().unwrap();
                let x1: f64 = end.parse().unwrap();
                assert!((x1 - x0).abs() >= 0.05, "zero-length whisker in {d}");
            }
        }
    }

    #[test]
    fn a_box_without_spread_says_too_few_sessions() {
        let cols = [
            ("p5", "count"),
            ("p25", "count"),
            ("median", "count"),
            ("p75", "count"),
            ("p95", "count"),
        ];
        let t = table(
            Chart::Box,
            &cols,
            &[
                ("1 Novice", vec![Some(4.0); 5]),
                (
                    "2 Beginner",
                    vec![Some(1.0), Some(2.0), Some(3.0), Some(5.0), Some(9.0)],
                ),
            ],
        );
        let svg = chart_or_panic(&t);
        assert!(svg.contains("too few sessions for a spread"));
        assert_eq!(svg.matches("class=\"ci\"").count(), 1, "{svg}");
    }

    #[test]
    fn plain_tables_have_no_chart() {
        let t = table(Chart::None, &[("a", "coef")], &[("x", vec![Some(0.1)])]);
        assert!(chart(&t, 5).is_none());
    }

    fn cell_ci(v: f64, lo: f64, hi: f64) -> Cell {
        Cell {
            value: Some(v),
            ci_low: Some(lo),
            ci_high: Some(hi),
            n_sessions: 5,
            n_users: 1,
            ..Default::default()
        }
    }

    fn attr(svg: &str, name: &str) -> f64 {
        let k = format!("{name}=\"");
        let i = svg.find(&k).unwrap_or_else(|| panic!("no {name}")) + k.len();
        svg[i..svg[i..].find('"').unwrap() + i].parse().unwrap()
    }

    #[test]
    fn an_interval_never_sets_the_axis_it_is_clipped_and_marked() {
        for chart in [Chart::Bars, Chart::Points] {
            let mut t = table(
                chart,
                &[("index", "index")],
                &[("Plan", vec![Some(201.0)]), ("Build", vec![Some(364.0)])],
            );
            // The task-value whisker of issue 9: to 9.7 million.
            t.rows[0].cells[0] = cell_ci(201.0, 0.004, 9_736_604.0);
            t.rows[1].cells[0] = cell_ci(364.0, 300.0, 420.0);
            let svg = chart_or_panic(&t);
            let (lo, hi) = (attr(&svg, "data-axis-lo"), attr(&svg, "data-axis-hi"));
            assert!(
                lo >= -3.0 * 364.0 && hi <= 3.0 * 364.0,
                "{chart:?}: [{lo}, {hi}]"
            );
            assert!(hi >= 364.0, "{chart:?}: the estimates stay on the axis");
            assert_eq!(attr(&svg, "data-clipped"), 1.0, "{chart:?}");
            assert!(svg.contains("class=\"clip\""), "{chart:?}");
            assert!(
                svg.contains("interval continues to 9,736,604"),
                "{chart:?}: {svg}"
            );
            assert!(svg.contains("clipped there"), "{chart:?}: footnote");
        }
        // An interval that fits widens the axis a little and is drawn whole.
        let mut t = table(Chart::Points, &[("v", "coef")], &[("x", vec![Some(0.1)])]);
        t.rows[0].cells[0] = cell_ci(0.1, -0.05, 0.18);
        let svg = chart_or_panic(&t);
        assert_eq!(attr(&svg, "data-clipped"), 0.0);
        assert!(attr(&svg, "data-axis-lo") <= -0.05 && attr(&svg, "data-axis-hi") >= 0.18);
    }

    #[test]
    fn a_zero_width_interval_is_not_drawn_and_says_too_few_sessions() {
        for chart in [Chart::Bars, Chart::Points] {
            let mut t = table(chart, &[("v", "share")], &[("Build", vec![Some(0.96)])]);
            t.rows[0].cells[0] = cell_ci(0.96, 0.96, 0.96);
            let svg = chart_or_panic(&t);
            assert!(svg.contains("too few sessions"), "{chart:?}");
            assert!(!svg.contains("class=\"ci\""), "{chart:?}: {svg}");
            assert!(!svg.contains("class=\"iv\""), "{chart:?}: {svg}");
        }
    }

    #[test]
    fn axis_titles_name_what_is_plotted() {
        let t = table(
            Chart::Points,
            &[
                ("Actions per prompt (median)", "ratio"),
                ("Actions per prompt (geometric mean)", "ratio"),
                ("Words per prompt (median)", "ratio"),
            ],
            &[("0–20%", vec![Some(2.0), Some(3.0), Some(300.0)])],
        );
        let svg = chart_or_panic(&t);
        assert!(
            svg.contains(">Actions or words per prompt (log scale)<"),
            "{svg}"
        );
        assert!(!svg.contains(">ratio (log scale)<"));
        assert_eq!(
            series_title(&["Judged".into(), "Verified".into()], "rate"),
            "rate"
        );
    }

    #[test]
    fn a_clipped_label_keeps_its_count() {
        let l = "Named an acceptance test or criterion — association by construction (12 of 39 sessions)";
        let c = clip_label(l, 290.0);
        assert!(c.ends_with(" (12 of 39 sessions)"), "{c}");
        assert!(c.starts_with("Named an"), "{c}");
        assert!(c.chars().count() <= 41, "{c}");
        assert_eq!(clip_label("Committed (n=6)", 290.0), "Committed (n=6)");
        assert!(
            clip_label("A very long label without any count at all, cut", 120.0).ends_with('…')
        );
    }

    #[test]
    fn scales_cover_data_with_nice_ticks() {
        let s = Scale::linear(&[0.03, 0.41], 0.0, 100.0, true);
        assert_eq!(s.lo, 0.0);
        assert!(s.hi >= 0.41 && s.hi <= 0.5, "{}", s.hi);
        let s = Scale::linear(&[-0.02, 0.05], 0.0, 100.0, false);
        assert!(s.lo <= -0.02 && s.hi >= 0.05);
        assert!(s.at(0.0) > 0.0 && s.at(0.0) < 100.0);
    }
}
