//! `--min-users K` and `--personal`, shared by every command that publishes numbers about
//! people (`stats`, `report`, `agree`): one clap group flattened into each command, and one
//! place that turns the flags and the data into the rule applied
//! ([`agentstat_stats::privacy::decide_mode`] → [`Threshold`]).

use agentstat_facets::Facet;
#[cfg(doc)]
use agentstat_stats::privacy::Threshold;
use agentstat_stats::privacy::{decide_mode, ModeDecision};

#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivacyArgs {
    /// Minimum distinct people per published number. Applies whenever given; otherwise
    /// (default 10) only when the sessions do not all belong to one identified person.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    pub min_users: Option<u32>,
    /// Personal mode: the sessions are all yours (e.g. from several machines): thresholds off,
    /// intervals over your sessions.
    #[arg(long, conflicts_with = "min_users")]
    pub personal: bool,
}

impl PrivacyArgs {
    /// The rule for `facets` (personal mode automatic only for one identified person), with
    /// its warning, if any, printed on stderr.
    pub fn decide(&self, facets: &[Facet]) -> ModeDecision {
        let mode = decide_mode(facets, self.personal, self.min_users);
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
            personal: false,
        }
        .decide(&one);
        assert_eq!(d.threshold.min_users, 4);
        assert!(!d.threshold.personal);
    }
}
