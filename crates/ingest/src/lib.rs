//! agentstat-ingest (see docs/ARCHITECTURE.md).
