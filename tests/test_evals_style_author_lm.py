"""`eval style` with author language models: P(reference) and rank among background authors, the copy
check against the reference, the 500-word flag and the note on what a background measures."""

from __future__ import annotations

from evals.samples import BalloonText, TextSample
from evals.style_eval import StyleEvalConfig, run_style_eval
from tests.test_evals_metrics import styled_text


def as_sample(name: str, text: str) -> TextSample:
    lines = [s.strip() + "." for s in text.split(".") if s.strip()]
    return TextSample(name, "test", [BalloonText(line) for line in lines])


BACKGROUND = [("Secondo", "B", 1), ("Terzo", "C", 2)]


def test_author_lm_score_ranks_reference_style_first_and_flags_copies() -> None:
    reference = as_sample("ref", styled_text("A", 4000, 0))
    # the background in the reference's format (one line a sentence): with prose against lines, format
    # itself separates the reference from the background, which the docs warn about
    background = [(name, as_sample(name, styled_text(s, 4000, k)).text) for name, s, k in BACKGROUND]
    copied = " ".join(reference.text.split()[100:140])
    good = as_sample("good", styled_text("A", 700, 9))
    thief = as_sample("thief", copied + " " + styled_text("A", 300, 11))
    other = as_sample("other", styled_text("C", 700, 10))
    report = run_style_eval(reference, [good, thief], StyleEvalConfig(), background, [other])
    by_name = {c.name: c for c in [*report.candidates, *report.baseline]}
    assert by_name["good"].author_lm is not None and by_name["good"].author_lm.rank == 1
    assert by_name["good"].author_lm.p_reference > 0.5 > by_name["other"].author_lm.p_reference  # type: ignore[union-attr]
    assert by_name["other"].author_lm.nearest == "Terzo"  # type: ignore[union-attr]
    assert by_name["good"].copied_share == 0 and by_name["thief"].copied_share > 0.05
    assert not by_name["good"].short and by_name["thief"].short
    notes = " ".join(report.notes)
    assert "thief" in notes and "genre" in notes and "under 500 words" in notes
    assert report.comparison["author_lm_p_reference"] > 0
