"""Nuvola's memory: the only code that talks to Chroma."""
