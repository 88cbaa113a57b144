"""Nuvola's agents: the write and read graphs over one run context, their specialists, the chat and the server."""

__version__ = "0.1.0"
