//! agentstat-classify (see docs/ARCHITECTURE.md).
