"""Synthetic Bonelli pages with ground truth, for tests, evals and the demo."""

from tools.synth.generate import TRUTH_FILE, generate_volume, render_page

__all__ = ["TRUTH_FILE", "generate_volume", "render_page"]
