"""Nuvola's agents: the LangGraph story graph, its specialists, and the `nuvola` CLI."""

__version__ = "0.1.0"
