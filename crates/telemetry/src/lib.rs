//! agentstat-telemetry (see docs/ARCHITECTURE.md).
