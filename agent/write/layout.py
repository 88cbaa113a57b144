"""Bonelli page grammar: how pages are shared among scenes and how a page's panels sit in three tiers.

A Tex page has three tiers of one to three panels, about six panels in all; a splash (one panel filling
the page) is kept for a key moment. These rules are code, not model output, so every page is valid.
"""

from __future__ import annotations

import math
import random

MIN_PANELS, MAX_PANELS, TYPICAL_PANELS = 4, 7, 6
SPLASH_MIN_PAGES = 8
"""An issue must have at least this many pages before its climax may open on a splash page."""

_PATTERNS: dict[int, tuple[tuple[int, ...], ...]] = {
    1: ((1,),),
    3: ((1, 1, 1),),
    4: ((1, 2, 1), (2, 1, 1), (1, 1, 2)),
    5: ((2, 1, 2), (1, 2, 2), (2, 2, 1)),
    6: ((2, 2, 2), (3, 1, 2), (2, 1, 3), (1, 2, 3), (3, 2, 1)),
    7: ((3, 2, 2), (2, 3, 2), (2, 2, 3)),
    8: ((3, 2, 3), (3, 3, 2), (2, 3, 3)),
    9: ((3, 3, 3),),
}


def tier_patterns(panels: int) -> tuple[tuple[int, ...], ...]:
    """Panels per tier (top to bottom) for a page of `panels` panels; the most classic layout first."""
    if panels not in _PATTERNS:
        raise ValueError(f"a Bonelli page has 1 (splash) or 3 to 9 panels, not {panels}")
    return _PATTERNS[panels]


def scene_count(pages: int) -> int:
    """How many scenes an issue of `pages` pages tells (short issues: about one scene per 1.5 pages)."""
    if pages < 1:
        raise ValueError("an issue has at least one page")
    if pages <= 6:
        return min(pages, math.ceil(pages / 1.5))
    return math.ceil(pages / 2.5)


def allocate_pages(pages: int, scenes: int) -> list[int]:
    """Pages per scene, summing to `pages`: even shares, the extra pages to the climax, then the opening."""
    base, extra = divmod(pages, scenes)
    shares = [base] * scenes
    order = [scenes - 1, 0, *range(1, scenes - 1)]
    for i in range(extra):
        shares[order[i % scenes]] += 1
    return shares


def split_beats(beats: int, pages: int) -> list[int]:
    """Panels per page for `beats` beats over `pages` pages (each 4..7), as even as possible."""
    if not pages * MIN_PANELS <= beats <= pages * MAX_PANELS:
        raise ValueError(f"{beats} beats do not fill {pages} page(s) of {MIN_PANELS}-{MAX_PANELS} panels")
    base, extra = divmod(beats, pages)
    return [base + (1 if i < extra else 0) for i in range(pages)]


def choose_pattern(panels: int, seed: int, page_number: int) -> tuple[int, ...]:
    """One layout for a page: the classic one most of the time, a variant chosen by seed otherwise."""
    patterns = tier_patterns(panels)
    rng = random.Random(seed * 7919 + page_number)
    if len(patterns) == 1 or rng.random() < 0.5:
        return patterns[0]
    return patterns[rng.randrange(1, len(patterns))]


def splash_allowed(issue_pages: int, scene_index: int, scenes: int, scene_pages: int) -> bool:
    """A splash only opens the climax (last scene) of an issue long enough to afford one."""
    return issue_pages >= SPLASH_MIN_PAGES and scene_index == scenes - 1 and scene_pages >= 2
