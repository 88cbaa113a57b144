"""The optional LLM judge: a rubric with scores in 0–1 and its reasoning, for larger backends.

The packaged 270M model cannot judge (it writes plausible Italian, not critique); configure the `judge`
role (`--model judge=openai:http://host:8080/v1#model`) before trusting these numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.language_models import BaseLLM
from pydantic import BaseModel, Field

from prompts import render

MAX_LINES = 40


class JudgeVerdict(BaseModel):
    """The judge's rubric; reasoning comes first so the scores follow from it."""

    reasoning: str = Field(description="what fits the series and what does not", max_length=1200)
    style: float = Field(ge=0.0, le=1.0, description="narrative style and register of the series")
    voices: float = Field(ge=0.0, le=1.0, description="each character sounds like themselves")
    format: float = Field(ge=0.0, le=1.0, description="balloon length, captions, lettering conventions")
    overall: float = Field(ge=0.0, le=1.0)


def judge_prompt(series: str, reference: Sequence[str], title: str, candidate: Sequence[str]) -> str:
    """The rubric prompt with at most MAX_LINES lines of each side."""
    return render(
        "evals/judge.j2",
        series=series,
        reference=list(reference)[:MAX_LINES],
        title=title,
        candidate=list(candidate)[:MAX_LINES],
    )


def judge(
    llm: BaseLLM, series: str, reference: Sequence[str], name: str, candidate: Sequence[str], seed: int = 0
) -> JudgeVerdict:
    """Ask the judge model for a verdict, validated against the rubric (bounded repairs)."""
    from tools.models import generate_structured

    prompt = judge_prompt(series, reference, name, candidate)
    return generate_structured(llm, prompt, JudgeVerdict, max_tokens=400, temperature=0.0, seed=seed)
