//! The rubric's label sets (`rubric.md` §3), with their exact names.
//!
//! Every enum has `as_str` (the rubric's spelling, used in Parquet, JSON and prompts) and
//! `parse` (exact match first, then case/punctuation-insensitive), so an LLM answer can be
//! validated against the allowed labels.

use serde::{Deserialize, Serialize};

/// Normalise a label for lenient comparison: lowercase ASCII alphanumerics only.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

macro_rules! label_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:expr),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The rubric's spelling.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
            /// Parse an answer: exact match, else case- and punctuation-insensitive.
            pub fn parse(s: &str) -> Option<$name> {
                let t = s.trim();
                $(if t == $text { return Some($name::$variant); })+
                let q = squash(t);
                if q.is_empty() { return None; }
                $(if q == squash($text) { return Some($name::$variant); })+
                None
            }
            /// Position in `ALL` (a stable ordinal / category code).
            pub fn index(self) -> usize { Self::ALL.iter().position(|x| *x == self).unwrap_or(0) }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

label_enum!(
    /// Work mode (§3.1): exactly one of nine, no abstention.
    WorkMode {
        Plan => "Plan",
        Build => "Build",
        Fix => "Fix",
        Understand => "Understand",
        Test => "Test",
        Operate => "Operate",
        Analyze => "Analyze",
        Orchestrate => "Orchestrate",
        Communicate => "Communicate",
    }
);

label_enum!(
    /// Codebase relation (§3.2).
    CodebaseRelation {
        Modify => "Modify existing code",
        Explore => "Explore existing code",
        Create => "Create new code from scratch",
        NoCodebase => "No codebase",
    }
);

label_enum!(
    /// Expertise (§3.4): 1–5 or Unclear.
    Expertise {
        Novice => "1",
        Beginner => "2",
        Intermediate => "3",
        Advanced => "4",
        Expert => "5",
        Unclear => "Unclear",
    }
);

impl Expertise {
    /// The numeric level 1–5, `None` for Unclear.
    pub fn level(self) -> Option<u8> {
        match self {
            Expertise::Novice => Some(1),
            Expertise::Beginner => Some(2),
            Expertise::Intermediate => Some(3),
            Expertise::Advanced => Some(4),
            Expertise::Expert => Some(5),
            Expertise::Unclear => None,
        }
    }
    pub fn from_level(l: u8) -> Option<Expertise> {
        Some(match l {
            1 => Expertise::Novice,
            2 => Expertise::Beginner,
            3 => Expertise::Intermediate,
            4 => Expertise::Advanced,
            5 => Expertise::Expert,
            _ => return None,
        })
    }
    /// The rubric's name for the level.
    pub fn name(self) -> &'static str {
        match self {
            Expertise::Novice => "Novice",
            Expertise::Beginner => "Beginner",
            Expertise::Intermediate => "Intermediate",
            Expertise::Advanced => "Advanced",
            Expertise::Expert => "Expert",
            Expertise::Unclear => "Unclear",
        }
    }
}

label_enum!(
    /// The 23 BLS SOC major groups (§3.5). User profile adds Unclear via `Option`/`OccupationOrUnclear`.
    Occupation {
        Management => "Management",
        BusinessFinancial => "Business and Financial Operations",
        ComputerMath => "Computer and Mathematical",
        ArchitectureEngineering => "Architecture and Engineering",
        Science => "Life, Physical, and Social Science",
        CommunitySocial => "Community and Social Service",
        Legal => "Legal",
        Education => "Educational Instruction and Library",
        ArtsMedia => "Arts, Design, Entertainment, Sports, and Media",
        HealthcarePractitioners => "Healthcare Practitioners and Technical",
        HealthcareSupport => "Healthcare Support",
        ProtectiveService => "Protective Service",
        FoodPreparation => "Food Preparation and Serving Related",
        BuildingGrounds => "Building and Grounds Cleaning and Maintenance",
        PersonalCare => "Personal Care and Service",
        Sales => "Sales and Related",
        OfficeAdmin => "Office and Administrative Support",
        FarmingFishing => "Farming, Fishing, and Forestry",
        Construction => "Construction and Extraction",
        InstallationRepair => "Installation, Maintenance, and Repair",
        Production => "Production",
        Transportation => "Transportation and Material Moving",
        Military => "Military Specific",
    }
);

label_enum!(
    /// Outcome (§3.6).
    Outcome {
        Succeeded => "Succeeded",
        PartiallySucceeded => "Partially Succeeded",
        Failed => "Failed",
        NoClearGoal => "No clear goal",
    }
);

label_enum!(
    /// Strength of a success or failure signal (§3.7): NONE or 1–5.
    Signal {
        None => "NONE",
        S1 => "1",
        S2 => "2",
        S3 => "3",
        S4 => "4",
        S5 => "5",
    }
);

impl Signal {
    /// 0 for NONE, else 1–5.
    pub fn level(self) -> u8 {
        self.index() as u8
    }
    pub fn from_level(l: u8) -> Option<Signal> {
        Signal::ALL.get(l as usize).copied()
    }
}

label_enum!(
    /// Task-value bands used as fixed effects (§3.8).
    ValueBand {
        B10To200 => "$10–200",
        B200To1k => "$200–1,000",
        B1kTo5k => "$1,000–5,000",
        B5kTo50k => "$5,000–50,000",
    }
);

impl ValueBand {
    /// Band of a dollar estimate; values outside 10–50,000 are clamped into the end bands.
    pub fn of_usd(v: f64) -> ValueBand {
        if v < 200.0 {
            ValueBand::B10To200
        } else if v < 1000.0 {
            ValueBand::B200To1k
        } else if v < 5000.0 {
            ValueBand::B1kTo5k
        } else {
            ValueBand::B5kTo50k
        }
    }
}

label_enum!(
    /// Kind of a decision in decision attribution (§3.3).
    DecisionKind { Planning => "planning", Execution => "execution" }
);

label_enum!(
    /// Who made a decision (§3.3).
    Decider { User => "user", Agent => "agent" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_parse_leniently() {
        for w in WorkMode::ALL {
            assert_eq!(WorkMode::parse(w.as_str()), Some(*w));
        }
        assert_eq!(Occupation::ALL.len(), 23);
        for o in Occupation::ALL {
            assert_eq!(Occupation::parse(o.as_str()), Some(*o));
        }
        assert_eq!(
            Outcome::parse("partially succeeded"),
            Some(Outcome::PartiallySucceeded)
        );
        assert_eq!(Outcome::parse("no clear goal."), Some(Outcome::NoClearGoal));
        assert_eq!(Signal::parse("none"), Some(Signal::None));
        assert_eq!(Signal::parse("4").map(Signal::level), Some(4));
        assert_eq!(Expertise::parse("3").and_then(Expertise::level), Some(3));
        assert_eq!(WorkMode::parse("Refactor"), None);
        assert_eq!(WorkMode::parse(""), None);
        assert_eq!(ValueBand::of_usd(150.0), ValueBand::B10To200);
        assert_eq!(ValueBand::of_usd(4999.0), ValueBand::B1kTo5k);
        assert_eq!(ValueBand::parse("$200–1,000"), Some(ValueBand::B200To1k));
    }
}
