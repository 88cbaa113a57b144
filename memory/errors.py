"""Errors of the memory: each says what went wrong and what the user can do about it."""

from tools.errors import NuvolaError


class MemoryStoreError(NuvolaError):
    """The Chroma memory cannot be opened, reached or used as asked."""


class EmbedderMismatchError(MemoryStoreError):
    """The memory was built with another embedder than the one configured now."""
