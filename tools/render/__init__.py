"""Rendering: panel art (storyboard, remix, diffusers), colorist, letterer, pages, CBZ/PDF/HTML (contract 5)."""

from tools.render.pipeline import RenderError, RenderResult, render_issue

__all__ = ["RenderError", "RenderResult", "render_issue"]
