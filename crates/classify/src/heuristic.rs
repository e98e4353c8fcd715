//! The offline heuristic backend: deterministic rules over the session and its telemetry.
