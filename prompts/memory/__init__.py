"""Prompt templates of the memory: scene breaks and summaries for narrative reconstruction."""
