"""Narrative reconstruction: transcribed pages -> scenes, summaries, cast and character voices."""
