"""The reading route: ingest -> transcriber -> narrator (reconstruction) -> memory, as a checkpointed graph."""
