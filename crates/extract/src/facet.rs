//! One session's facet: telemetry, habits and labels, with every string closed to its
//! vocabulary — the only thing that crosses the privacy boundary.

use crate::run::ExtractOptions;
use agentstat_classify::heuristic::features as hf;
use agentstat_classify::SessionInput;
use agentstat_facets::Facet;
use agentstat_ingest::session_key;
use agentstat_session::Session;

/// Telemetry + labels for one session. Non-interactive sessions are not classified.
/// Returns (facet, sent to the classifier, classification failed).
pub(crate) fn build_facet(session: &Session, options: &ExtractOptions) -> (Facet, bool, bool) {
    let telemetry = agentstat_telemetry::measure(session);
    let excluded_reason = session.non_interactive_reason().map(str::to_owned);
    let interactive = excluded_reason.is_none();
    let mut classified = false;
    let mut error = false;
    // The heuristic's single pass, once for the habits and the classifier.
    let features = interactive.then(|| hf::extract(session));
    let labels = match (&options.backend, &features) {
        (Some((backend, _)), Some(f)) => {
            classified = true;
            let input = SessionInput {
                session,
                telemetry: &telemetry,
            };
            match backend.classify_extracted(&input, f) {
                Ok(l) => {
                    // A label that failed (e.g. retries exhausted) is kept in this run's facet
                    // but the facet is not cached, so the next run asks again.
                    error = l.any_failed();
                    Some(l)
                }
                Err(e) => {
                    error = true;
                    eprintln!("agentstat: classification failed for a session: {e}");
                    None
                }
            }
        }
        _ => None,
    };
    // Without `--user`, an adapter that found no home directory in the paths its format records
    // keys the person as the fallback `unknown`, which may be several people.
    let mut telemetry = telemetry;
    telemetry.user_unknown = options.ingest.is_unidentified(&session.user);
    let mut facet = Facet {
        session_key: session_key(&options.ingest.salt, &session.id),
        user_key: session.user.0.clone(),
        agent: session.agent.name.clone(),
        agent_version: session.agent.version.clone(),
        interactive,
        excluded_reason,
        // Measured from the session like telemetry, whatever the classifier.
        habits: features.as_ref().map(|f| hf::habits_of(f, &telemetry)),
        telemetry,
        labels,
    };
    // Nothing but keys, labels and normalised patterns crosses the boundary (facets::vocab).
    agentstat_facets::vocab::close(&mut facet);
    (facet, classified, error)
}
