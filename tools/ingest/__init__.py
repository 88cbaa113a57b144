"""Ingest scanned comics: container formats, the SQLite catalogue, and the ingest pipeline."""
