//! agentstat-report (see docs/ARCHITECTURE.md).
