"""The frozen plots of the writing benchmarks (pure data: no imports, so a benchmark that runs another
checkout's code can read them without importing this one's packages)."""

FROZEN_PLOTS = (
    "Tiger Jack scopre che qualcuno avvelena i pozzi della riserva navajo e Tex indaga",
    "Un giudice corrotto impicca innocenti a Tucson e Tex arriva in città per fermarlo",
    "Un vecchio cercatore trova una miniera d'argento e un ricco allevatore vuole rubargliela",
)
"""Frozen on 2026-12-04 before the writers were changed; never run while tuning (benchmarks/write_issue.py,
and benchmarks/write_outline.py --frozen to check an outline change once it is decided)."""
