"""Rendering: panel art (storyboard, remix, diffusers), colorist, letterer, pages, CBZ/PDF/HTML (contract 5)."""

from tools.render.issue import RenderError, RenderResult, render_issue

__all__ = ["RenderError", "RenderResult", "render_issue"]
