//! agentstat-redact (see docs/ARCHITECTURE.md).
