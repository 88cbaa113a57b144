"""OCR error measures: character and word error rates, and line recall (no balloon line lost)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

LINE_RECALL_MIN_MATCHED = 0.5  # a line counts as read when half its characters align to the hypothesis


@dataclass
class ErrorCounts:
    """Edit counts accumulated over many balloons; rates are errors per reference unit."""

    char_errors: int = 0
    chars: int = 0
    word_errors: int = 0
    words: int = 0
    lines_found: int = 0
    lines: int = 0
    balloons: int = 0
    exact: int = 0

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars if self.chars else 0.0

    @property
    def wer(self) -> float:
        return self.word_errors / self.words if self.words else 0.0

    @property
    def line_recall(self) -> float:
        return self.lines_found / self.lines if self.lines else 1.0

    @property
    def exact_rate(self) -> float:
        return self.exact / self.balloons if self.balloons else 0.0

    def add(
        self, hypothesis: str, reference: str, hyp_lines: Sequence[str] = (), ref_lines: Sequence[str] = ()
    ) -> None:
        """Count one balloon: `hypothesis`/`reference` texts, and optionally their lines for line recall."""
        self.char_errors += char_distance(hypothesis, reference)
        self.chars += len(reference)
        self.word_errors += Levenshtein.distance(hypothesis.split(), reference.split())
        self.words += len(reference.split())
        self.balloons += 1
        self.exact += hypothesis == reference
        if ref_lines:
            self.lines_found += lines_recalled(hyp_lines, ref_lines)
            self.lines += sum(1 for line in ref_lines if line.strip())

    def as_dict(self) -> dict[str, float | int]:
        return {
            "cer": round(self.cer, 5),
            "wer": round(self.wer, 5),
            "line_recall": round(self.line_recall, 5),
            "exact": round(self.exact_rate, 5),
            "balloons": self.balloons,
            "chars": self.chars,
        }


def char_distance(hypothesis: str, reference: str) -> int:
    return Levenshtein.distance(hypothesis, reference)


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate of one pair (edits / reference length)."""
    return Levenshtein.distance(hypothesis, reference) / max(1, len(reference))


def wer(hypothesis: str, reference: str) -> float:
    """Word error rate of one pair (word edits / reference words)."""
    return Levenshtein.distance(hypothesis.split(), reference.split()) / max(1, len(reference.split()))


def lines_recalled(hyp_lines: Sequence[str], ref_lines: Sequence[str]) -> int:
    """How many reference lines have at least half their characters aligned to the hypothesis text."""
    ref_text = "\n".join(" ".join(line.split()) for line in ref_lines if line.strip())
    hyp_text = "\n".join(" ".join(line.split()) for line in hyp_lines if line.strip())
    matched = [False] * len(ref_text)
    for op in Levenshtein.opcodes(ref_text, hyp_text):
        if op.tag == "equal":
            matched[op.src_start : op.src_end] = [True] * (op.src_end - op.src_start)
    found, start = 0, 0
    for line in ref_text.split("\n"):
        span = [matched[i] for i in range(start, start + len(line)) if not ref_text[i].isspace()]
        found += bool(span) and sum(span) >= LINE_RECALL_MIN_MATCHED * len(span)
        start += len(line) + 1
    return found
