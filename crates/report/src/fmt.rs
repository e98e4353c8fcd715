//! Number formatting and escaping shared by the HTML, SVG and CSV writers.

use agentstat_stats::results::{Cell, Column};

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether a unit is a proportion shown as a percentage.
pub fn is_share(unit: &str) -> bool {
    matches!(
        unit,
        "share" | "rate" | "percent" | "proportion" | "probability"
    )
}

/// A value in its column's unit, for people (`43%`, `1,204`, `+0.0379`, `$1,250`).
pub fn value(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    match unit {
        u if is_share(u) => {
            let p = v * 100.0;
            if p != 0.0 && p.abs() < 10.0 {
                format!("{p:.1}%")
            } else {
                format!("{p:.0}%")
            }
        }
        "count" | "n" => thousands(v.round() as i64),
        // Whole numbers in a coefficient column are counts (e.g. an "Observations" row).
        "coef" if v.fract() == 0.0 && v.abs() >= 1.0 => thousands(v as i64),
        "coef" => format!("{v:+.4}"),
        "usd" => format!("${}", thousands(v.round() as i64)),
        "ratio" => format!("{v:.2}"),
        // A difference of two shares, in percentage points.
        "pp" => format!("{:+.0} pp", v * 100.0),
        _ => sig(v),
    }
}

/// An interval with no width (degenerate variance: one cluster, one session, all outcomes
/// alike) says nothing about uncertainty: it is never drawn or printed as `[x, x]`.
pub fn zero_width(c: &Cell) -> bool {
    match (c.ci_low, c.ci_high) {
        (Some(lo), Some(hi)) => (hi - lo).abs() <= 1e-12 * lo.abs().max(hi.abs()).max(1.0),
        _ => false,
    }
}

/// What a chart or table says in place of a zero-width interval.
pub const TOO_FEW: &str = "too few sessions for an interval";

/// An axis tick label: like [`value`] but shorter.
pub fn tick(v: f64, unit: &str) -> String {
    match unit {
        u if is_share(u) => format!("{:.0}%", v * 100.0),
        "coef" => {
            if v == 0.0 {
                "0".into()
            } else {
                trim(&sig(v))
            }
        }
        "usd" => format!("${}", trim(&short(v))),
        "pp" if v.abs() < 1e-12 => "0".into(),
        "pp" => format!("{:+.0}", v * 100.0),
        _ => trim(&short(v)),
    }
}

/// Drop trailing zeros after a decimal point (`0.020` → `0.02`, `10.0` → `10`).
fn trim(s: &str) -> String {
    match s.find('.') {
        Some(dot) => {
            let (num, suffix) = match s.find(|c: char| c.is_ascii_alphabetic()) {
                Some(i) if i > dot => (&s[..i], &s[i..]),
                _ => (s, ""),
            };
            let t = num.trim_end_matches('0').trim_end_matches('.');
            format!("{t}{suffix}")
        }
        None => s.to_string(),
    }
}

/// Three significant digits without trailing noise.
pub fn sig(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        thousands(v.round() as i64)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", sig(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", sig(v / 1e3))
    } else {
        sig(v)
    }
}

/// `1234567` → `1,234,567`.
#[allow(clippy::manual_is_multiple_of)] // `is_multiple_of` is newer than the workspace's MSRV
pub fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// How a cell reads in a table: value, interval and standard error, or why there is none.
pub fn cell_text(c: &Cell, col: &Column) -> String {
    if c.suppressed {
        return "suppressed".into();
    }
    let Some(v) = c.value else {
        return "n/a".into();
    };
    let mut s = value(v, &col.unit);
    if zero_width(c) {
        s.push_str(&format!(" ({TOO_FEW})"));
    } else if let (Some(lo), Some(hi)) = (c.ci_low, c.ci_high) {
        s.push_str(&format!(
            " [{}, {}]",
            value(lo, &col.unit),
            value(hi, &col.unit)
        ));
    } else if let Some(se) = c.se {
        let se_txt = if col.unit == "coef" {
            format!("{se:.4}")
        } else {
            value(se, &col.unit)
        };
        s.push_str(&format!(" ({se_txt})"));
    }
    s
}

/// `Fig. 1`, `Figure A1`, `Table A2` → `fig1`, `figa1`, `tablea2` (stable section ids).
pub fn figure_slug(figure: &str) -> String {
    let s: String = figure
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let s = s.replacen("figure", "fig", 1);
    if s.is_empty() {
        "other".into()
    } else {
        s
    }
}

/// A string safe as an HTML id and file name: ASCII alphanumerics, `-` and `_`.
pub fn safe_id(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        "table".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_unit() {
        assert_eq!(value(0.4321, "share"), "43%");
        assert_eq!(value(0.051, "rate"), "5.1%");
        assert_eq!(value(1234567.0, "count"), "1,234,567");
        assert_eq!(value(0.0379, "coef"), "+0.0379");
        assert_eq!(value(-0.01, "coef"), "-0.0100");
        assert_eq!(value(36.0, "coef"), "36");
        assert_eq!(value(1250.4, "usd"), "$1,250");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(tick(0.02, "coef"), "0.02");
        assert_eq!(tick(10.0, "count"), "10");
        assert_eq!(tick(12000.0, "count"), "12k");
        assert_eq!(tick(0.25, "share"), "25%");
        assert_eq!(value(0.123, "pp"), "+12 pp");
        assert_eq!(value(-0.05, "pp"), "-5 pp");
        assert_eq!(tick(-0.2, "pp"), "-20");
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn suppressed_cells_never_read_as_numbers() {
        let col = Column {
            key: "v".into(),
            label: "V".into(),
            unit: "share".into(),
        };
        let c = Cell {
            value: Some(0.0),
            suppressed: true,
            ..Default::default()
        };
        assert_eq!(cell_text(&c, &col), "suppressed");
        let c = Cell {
            value: None,
            ..Default::default()
        };
        assert_eq!(cell_text(&c, &col), "n/a");
    }

    #[test]
    fn zero_width_intervals_say_too_few_sessions() {
        let col = Column {
            key: "v".into(),
            label: "V".into(),
            unit: "share".into(),
        };
        let c = Cell {
            value: Some(0.96),
            ci_low: Some(0.96),
            ci_high: Some(0.96),
            n_sessions: 3,
            ..Default::default()
        };
        assert_eq!(
            cell_text(&c, &col),
            "96% (too few sessions for an interval)"
        );
        let c = Cell {
            ci_high: Some(0.99),
            ..c
        };
        assert_eq!(cell_text(&c, &col), "96% [96%, 99%]");
    }

    #[test]
    fn figure_slugs_are_stable() {
        assert_eq!(figure_slug("Fig. 1"), "fig1");
        assert_eq!(figure_slug("Figure A2"), "figa2");
        assert_eq!(figure_slug("Table A1"), "tablea1");
        assert_eq!(figure_slug(""), "other");
        assert_eq!(safe_id("fig 1/x"), "fig_1_x");
    }
}
