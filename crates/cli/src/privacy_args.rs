//! `--min-users K` and `--personal`, shared by every command that publishes numbers about
//! people (`stats`, `report`, `agree`): one clap group flattened into each command, and one
//! place that turns the flags and the data into the rule applied
//! ([`agentstat_stats::privacy::decide_mode`] → [`Threshold`]).

use agentstat_facets::Facet;
#[cfg(doc)]
use agentstat_stats::privacy::Threshold;
use agentstat_stats::privacy::{decide_mode, Dominance, ModeDecision, Rules};

#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivacyArgs {
    /// Team mode: round counts (and the sample sizes in notes) to this base; shares are
    /// published on the grid the rounding allows. 0 or 1: no rounding (default 5).
    #[arg(long, value_name = "B")]
    pub round_base: Option<u32>,
    /// Team mode: a model coefficient is published only if its model keeps at least this many
    /// residual degrees of freedom (default 10).
    #[arg(long, value_name = "DF")]
    pub min_df: Option<u32>,
    /// Team mode: the dominance rule for means, quantiles and indices, per person, as
    /// `N,K,P`: withheld when the N largest contributors hold K% or more of the total, or the
    /// total less the two largest is under P% of the largest (default 2,90,10). `off`: none.
    #[arg(long, value_name = "N,K,P", value_parser = parse_dominance)]
    pub dominance: Option<DominanceArg>,
    /// Team mode: the rules before output classes, for comparison: no rounding, no dominance
    /// rule, coefficients protected like counts (withdrawal only).
    #[arg(long, conflicts_with_all = ["round_base", "min_df", "dominance"])]
    pub legacy_rules: bool,
    /// Minimum distinct people per published number. Applies whenever given; otherwise
    /// (default 10) only when the sessions do not all belong to one identified person.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    pub min_users: Option<u32>,
    /// Personal mode: the sessions are all yours (e.g. from several machines): thresholds off,
    /// intervals over your sessions.
    #[arg(long, conflicts_with = "min_users")]
    pub personal: bool,
}

/// `--dominance`: the rule's parameters, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DominanceArg {
    Off,
    Rule(Dominance),
}

fn parse_dominance(s: &str) -> Result<DominanceArg, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(DominanceArg::Off);
    }
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [n, k, p] = parts.as_slice() else {
        return Err(format!("expected N,K,P (e.g. 2,90,10) or off, got {s:?}"));
    };
    let num = |x: &str, what: &str| {
        x.parse::<u32>()
            .map_err(|_| format!("{what} must be a whole number, got {x:?}"))
    };
    let d = Dominance {
        n: num(n, "N")?,
        k_percent: num(k, "K")?,
        p_percent: num(p, "P")?,
    };
    if d.n == 0 || d.k_percent == 0 || d.k_percent > 100 || d.p_percent > 100 {
        return Err(format!(
            "N must be at least 1, K between 1 and 100, P at most 100; got {s:?}"
        ));
    }
    Ok(DominanceArg::Rule(d))
}

impl PrivacyArgs {
    /// The disclosure rules beyond `k` these flags ask for.
    pub fn rules(&self) -> Rules {
        if self.legacy_rules {
            return Rules::legacy();
        }
        let d = Rules::default();
        Rules {
            round_base: self.round_base.unwrap_or(d.round_base),
            min_df: self.min_df.unwrap_or(d.min_df),
            dominance: match self.dominance {
                None => d.dominance,
                Some(DominanceArg::Off) => None,
                Some(DominanceArg::Rule(r)) => Some(r),
            },
            classes: d.classes,
        }
    }

    /// The rule for `facets` (personal mode automatic only for one identified person), with
    /// its warning, if any, printed on stderr.
    pub fn decide(&self, facets: &[Facet]) -> ModeDecision {
        let mut mode = decide_mode(facets, self.personal, self.min_users);
        mode.threshold = mode.threshold.with_rules(self.rules());
        if let Some(w) = &mode.warning {
            eprintln!("{w}");
        }
        mode
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        privacy: PrivacyArgs,
    }

    #[test]
    fn flags_parse_into_one_rule_and_conflict() {
        let p = |a: &[&str]| Cli::try_parse_from(a).map(|c| c.privacy);
        assert_eq!(p(&["x"]).unwrap(), PrivacyArgs::default());
        assert_eq!(p(&["x", "--min-users", "3"]).unwrap().min_users, Some(3));
        assert!(p(&["x", "--personal"]).unwrap().personal);
        assert!(p(&["x", "--personal", "--min-users", "3"]).is_err());
        assert!(p(&["x", "--min-users", "0"]).is_err());
        let one: Vec<Facet> = vec![];
        let d = PrivacyArgs {
            min_users: Some(4),
            ..Default::default()
        }
        .decide(&one);
        assert_eq!(d.threshold.min_users, 4);
        assert!(!d.threshold.personal);
        assert_eq!(d.threshold.rules, Rules::default());
    }

    #[test]
    fn output_rule_flags_reach_the_threshold() {
        let p = |a: &[&str]| Cli::try_parse_from(a).map(|c| c.privacy);
        let r = p(&[
            "x",
            "--round-base",
            "10",
            "--min-df",
            "20",
            "--dominance",
            "3,80,5",
        ])
        .unwrap()
        .rules();
        assert_eq!(r.round_base, 10);
        assert_eq!(r.min_df, 20);
        assert_eq!(
            r.dominance,
            Some(Dominance {
                n: 3,
                k_percent: 80,
                p_percent: 5
            })
        );
        assert_eq!(
            p(&["x", "--dominance", "off"]).unwrap().rules().dominance,
            None
        );
        assert_eq!(
            p(&["x", "--round-base", "0"]).unwrap().rules().round_base,
            0
        );
        assert_eq!(
            p(&["x", "--legacy-rules"]).unwrap().rules(),
            Rules::legacy()
        );
        assert!(p(&["x", "--legacy-rules", "--round-base", "5"]).is_err());
        let e = p(&["x", "--dominance", "2,90"]).unwrap_err().to_string();
        assert!(e.contains("N,K,P"), "{e}");
        assert!(p(&["x", "--dominance", "2,190,10"]).is_err());
        let one: Vec<Facet> = vec![];
        let d = p(&["x", "--min-users", "3", "--round-base", "2"])
            .unwrap()
            .decide(&one);
        assert_eq!(d.threshold.rules.round_base, 2);
    }
}
