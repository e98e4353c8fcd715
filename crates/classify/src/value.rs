//! Task value (rubric §3.8): calibration postings with known fixed prices for the pricing step.
//!
//! These postings are the project's own words. Their prices follow the spread of real
//! fixed-price software jobs (`../shared/value/*.csv`, read for calibration, not copied): a
//! one-string localisation fix near $50, small UI tweaks $100–250, typical single-screen bug
//! fixes $250–500, a crash on one input or a small feature around $1,000, cross-platform bugs
//! in rich-text or rendering code $2,000–8,000, and new subsystems $16,000–32,000. Jobs outside
//! that product (data work, infrastructure, prose) are priced by the same scale of effort.
//! Changing any posting or price changes [`CALIBRATION_VERSION`], which is part of the pricing
//! prompt's version and therefore of the cache key.

/// A job posting with the price paid for similar work.
#[derive(Debug, Clone, Copy)]
pub struct CalibrationPosting {
    pub title: &'static str,
    pub description: &'static str,
    pub skills: &'static [&'static str],
    pub usd: f64,
}

/// Bump whenever [`CALIBRATION`] changes.
pub const CALIBRATION_VERSION: &str = "cal.v1";

/// Calibration postings, cheapest first.
pub const CALIBRATION: &[CalibrationPosting] = &[
    CalibrationPosting {
        title: "Translate one confirmation message in the checkout screen",
        description: "One status message on the payment confirmation screen is still shown in English when the app language is Spanish. Add the missing translation key and use it in the screen. No other changes are expected.",
        skills: &["JavaScript", "React", "i18n"],
        usd: 50.0,
    },
    CalibrationPosting {
        title: "Add a clear button to a search name field",
        description: "The field for naming a saved search has no way to clear its contents. Add a clear button that matches the existing input components. It must work on web and mobile and keep the current validation.",
        skills: &["React Native", "TypeScript", "UI components"],
        usd: 125.0,
    },
    CalibrationPosting {
        title: "Fix a shell script that fails on paths containing spaces",
        description: "Our backup script breaks when a folder name contains a space. Quote the variables properly and make the script exit with a clear message on failure. Test it on the three example folders we provide.",
        skills: &["Bash", "Linux"],
        usd: 150.0,
    },
    CalibrationPosting {
        title: "Make a list header scroll with its page",
        description: "An intro text above a notes list stays pinned while the list scrolls, which looks broken. Make it scroll with the content on all platforms. Include before and after screenshots.",
        skills: &["React Native", "CSS", "Cross-platform UI"],
        usd: 250.0,
    },
    CalibrationPosting {
        title: "Write a Python script that merges monthly CSV exports into one report",
        description: "We download twelve CSV exports a year with slightly different column orders. Write a script that merges them, normalises dates and currencies, and writes one summary sheet per month. Provide a short README explaining how to run it.",
        skills: &["Python", "pandas", "CSV", "Data cleaning"],
        usd: 300.0,
    },
    CalibrationPosting {
        title: "Fix an app crash when an invalid currency code is entered",
        description: "Entering an unknown currency code in an expense makes the app crash on every platform. Find the cause, validate the input gracefully, and add a regression test. The fix must not change behaviour for valid currencies.",
        skills: &["TypeScript", "React Native", "Debugging", "Unit testing"],
        usd: 500.0,
    },
    CalibrationPosting {
        title: "Set up continuous integration for a small web service",
        description: "Our Node.js service has tests but no CI. Configure a pipeline that installs dependencies with caching, runs lint and tests on every pull request, and builds a container image on the main branch. Document the required secrets.",
        skills: &["GitHub Actions", "Docker", "Node.js", "CI/CD"],
        usd: 800.0,
    },
    CalibrationPosting {
        title: "Show participant avatars on a bill-split preview",
        description: "The preview card for a split bill should show up to four participant avatars with an overflow count. Implement it to match the design on web, iOS and Android, reusing the existing avatar components. Cover the new layout logic with tests.",
        skills: &["React Native", "TypeScript", "UI design implementation"],
        usd: 1_000.0,
    },
    CalibrationPosting {
        title: "Add a REST endpoint with pagination and filtering to an existing API",
        description: "Add an endpoint that lists orders with cursor pagination and filters by status and date range. Follow the existing service's patterns for validation, errors and database access. Include integration tests and update the API documentation.",
        skills: &["Go", "PostgreSQL", "REST APIs", "Testing"],
        usd: 1_500.0,
    },
    CalibrationPosting {
        title: "Count message length the way the server does",
        description: "The message composer counts typed characters while the server counts the stored HTML, so long messages are rejected after the user sends them. Make the client compute the same length as the server, show the limit correctly, and handle edits. Add tests for emoji, mentions and markdown.",
        skills: &["TypeScript", "HTML parsing", "React", "Testing"],
        usd: 2_000.0,
    },
    CalibrationPosting {
        title: "Statistical analysis of a survey dataset with a written summary",
        description: "Clean a survey of about 5,000 responses, build weighted estimates for the main questions, and fit regressions with clustered standard errors. Deliver reproducible notebooks, tables and charts. Finish with a short written summary of the findings for a non-technical audience.",
        skills: &["R", "Statistics", "Survey weighting", "Data visualization"],
        usd: 2_500.0,
    },
    CalibrationPosting {
        title: "Keep formatting intact when pasting from rich-text editors",
        description: "Pasting from office documents turns text bold and leaves stray markdown characters. Rework the paste handler so formatting converts correctly to our markdown dialect on all browsers and platforms. Cover the conversion with tests built from real clipboard samples.",
        skills: &["JavaScript", "Clipboard APIs", "Markdown", "Cross-browser testing"],
        usd: 4_000.0,
    },
    CalibrationPosting {
        title: "Migrate a legacy service from a monolith database to its own schema",
        description: "Split the billing tables out of a shared database into a dedicated schema with its own migrations. Write a zero-downtime migration plan, dual-write during the transition, and backfill historical data. Provide rollback steps and monitoring for the cut-over.",
        skills: &["PostgreSQL", "Data migration", "Python", "Backend architecture"],
        usd: 6_000.0,
    },
    CalibrationPosting {
        title: "Fix tooltips and hover states that stick while scrolling",
        description: "Tooltips and hover highlights stay visible after the pointer leaves an element during scrolling, across several screens. Find the shared cause in the hover and tooltip components and fix it without regressions on touch devices. The fix needs careful cross-platform verification.",
        skills: &["React", "React Native Web", "Event handling", "Debugging"],
        usd: 8_000.0,
    },
    CalibrationPosting {
        title: "Build an offline-first sync engine for a mobile note-taking app",
        description: "Design and implement local storage with background sync and conflict resolution for notes and attachments. Handle intermittent connectivity, schema versioning and large files. Deliver the engine with tests, metrics and documentation for the team.",
        skills: &["Kotlin", "Swift", "SQLite", "Distributed systems", "Mobile architecture"],
        usd: 16_000.0,
    },
    CalibrationPosting {
        title: "Inline video playback in chat with upload, streaming and controls",
        description: "Users should be able to play uploaded videos directly in the conversation instead of downloading them. Build the player with thumbnails, streaming, full-screen mode and attachment handling on web, iOS and Android. Include accessibility support and thorough tests.",
        skills: &["React Native", "Video streaming", "TypeScript", "iOS", "Android", "Accessibility"],
        usd: 30_000.0,
    },
];

/// The calibration postings formatted for the pricing prompt.
pub fn calibration_block() -> String {
    let mut s = String::new();
    for (i, p) in CALIBRATION.iter().enumerate() {
        s.push_str(&format!(
            "Reference {n}: price ${usd}\nTitle: {t}\nDescription: {d}\nSkills: {k}\n\n",
            n = i + 1,
            usd = fmt_usd(p.usd),
            t = p.title,
            d = p.description,
            k = p.skills.join(", "),
        ));
    }
    s.trim_end().to_string()
}

#[allow(clippy::manual_is_multiple_of)] // keeps the declared MSRV (1.85)
fn fmt_usd(v: f64) -> String {
    let n = v.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_facets::ValueBand;

    #[test]
    fn calibration_spans_every_band_in_price_order() {
        assert!((12..=20).contains(&CALIBRATION.len()));
        assert!(CALIBRATION.windows(2).all(|w| w[0].usd <= w[1].usd));
        for band in ValueBand::ALL {
            assert!(
                CALIBRATION
                    .iter()
                    .any(|p| ValueBand::of_usd(p.usd) == *band),
                "{band}"
            );
        }
        for p in CALIBRATION {
            let sentences = p.description.matches(". ").count() + 1;
            assert!((3..=5).contains(&sentences), "{}", p.title);
            assert!((1..=8).contains(&p.skills.len()));
        }
        let block = calibration_block();
        assert!(block.contains("price $30,000") && block.contains("price $50\n"));
    }
}
