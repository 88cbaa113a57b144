"""ROVER-style OCR ensemble: align hypotheses character by character, vote with confidences, check words.

Every hypothesis (lines joined by newlines) is aligned to a pivot (the medoid hypothesis) with Levenshtein
opcodes, giving one column per pivot character and one insertion slot between characters. Each column
elects the character (or nothing) with the most support, where a vote weighs `weight * (λ + (1-λ) * conf)`.
A word the vote produced that the lexicon does not know is then replaced by the best-supported aligned
word of a hypothesis that the lexicon does know and that differs from it by a misreading's few characters
(a name such as CUERVO stays, whatever short known word another engine saw beside it); a word hyphenated
across two lines is judged whole. An optional LLM arbiter picks among whole readings.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseLLM
from PIL import Image
from rapidfuzz.distance import Levenshtein

from prompts import render
from tools.ocr.engine import BalloonKind, OcrEngine, OcrLine, OcrResult
from tools.ocr.lexicon import Lexicon, italian_lexicon

FREQUENCY_SHARE = 0.5  # λ: how much a vote counts for being cast, beside how sure its engine was
MISREADING_SHARE = 1 / 3  # a lexicon replacement changes at most this share of the letters (>= 1)
_WORD_CORE_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*'?")


@dataclass
class Hypothesis:
    """One engine's reading of a balloon as a single string, with a confidence per character."""

    text: str
    confidences: list[float]
    weight: float = 1.0
    engine: str = ""

    @classmethod
    def from_result(cls, result: OcrResult, weight: float = 1.0) -> Hypothesis:
        chars: list[str] = []
        confs: list[float] = []
        for number, line in enumerate(result.lines):
            if number:
                chars.append("\n")
                confs.append(min(line.confidence, result.lines[number - 1].confidence))
            chars.append(line.text)
            confs.extend(line.confidence_at(i) for i in range(len(line.text)))
        return cls("".join(chars), confs, weight, result.engine)

    def vote(self, index: int | None = None) -> float:
        """The weight of this hypothesis's vote at character `index` (its mean confidence when None)."""
        if index is None or not self.confidences:
            conf = sum(self.confidences) / len(self.confidences) if self.confidences else 0.0
        else:
            conf = self.confidences[min(index, len(self.confidences) - 1)]
        return self.weight * (FREQUENCY_SHARE + (1 - FREQUENCY_SHARE) * conf)


@dataclass
class Column:
    """Votes at one pivot character (`chars`) and in the insertion slot before it (`inserts`)."""

    chars: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    inserts: dict[str, float] = field(default_factory=lambda: defaultdict(float))


@dataclass
class Vote:
    """The voted text and the share of the total vote each of its characters won."""

    text: str
    support: list[float]


def choose_pivot(hypotheses: Sequence[Hypothesis]) -> int:
    """The medoid: the hypothesis closest to all the others (ties go to the heavier vote)."""

    def score(i: int) -> tuple[float, float]:
        sim = sum(
            Levenshtein.normalized_similarity(hypotheses[i].text, h.text) * h.weight for h in hypotheses
        )
        return sim, hypotheses[i].vote()

    return max(range(len(hypotheses)), key=score)


def build_columns(pivot: str, hypotheses: Sequence[Hypothesis]) -> list[Column]:
    """One column per pivot character plus a final insertion-only column, filled with every vote."""
    columns = [Column() for _ in range(len(pivot) + 1)]
    for hyp in hypotheses:
        inserted: dict[int, str] = defaultdict(str)
        insert_votes: dict[int, list[float]] = defaultdict(list)
        for op in Levenshtein.opcodes(pivot, hyp.text):
            length = max(op.src_end - op.src_start, op.dest_end - op.dest_start)
            for k in range(length):
                src, dest = op.src_start + k, op.dest_start + k
                if src < op.src_end and dest < op.dest_end:  # equal or substitution
                    columns[src].chars[hyp.text[dest]] += hyp.vote(dest)
                elif src < op.src_end:  # the hypothesis has nothing here
                    columns[src].chars[""] += hyp.vote(max(0, dest - 1))
                else:  # the hypothesis has extra text before pivot position op.src_end
                    inserted[op.src_end] += hyp.text[dest]
                    insert_votes[op.src_end].append(hyp.vote(dest))
        for slot, column in enumerate(columns):
            if slot in inserted:
                column.inserts[inserted[slot]] += sum(insert_votes[slot]) / len(insert_votes[slot])
            else:
                column.inserts[""] += hyp.vote(min(slot, max(0, len(hyp.text) - 1)))
    return columns


def vote_columns(columns: Sequence[Column]) -> Vote:
    """Elect the best-supported insertion and character in every column."""
    text: list[str] = []
    support: list[float] = []
    for column in columns:
        for votes in (column.inserts, column.chars):
            if not votes:
                continue
            winner, weight = max(votes.items(), key=lambda item: (item[1], item[0] != ""))
            total = sum(votes.values()) or 1.0
            text.append(winner)
            support.extend([weight / total] * len(winner))
    return Vote("".join(text), support)


def rover(hypotheses: Sequence[Hypothesis]) -> Vote:
    """Align and vote; a single hypothesis is returned as it is."""
    hypotheses = [h for h in hypotheses if h.weight > 0]
    if not hypotheses:
        return Vote("", [])
    if len(hypotheses) == 1:
        return Vote(hypotheses[0].text, list(hypotheses[0].confidences))
    pivot = hypotheses[choose_pivot(hypotheses)].text
    return vote_columns(build_columns(pivot, hypotheses))


def word_core(token: str) -> str:
    match = _WORD_CORE_RE.search(token)
    return match.group(0).rstrip("'") if match else ""


def lexicon_check(vote: Vote, hypotheses: Sequence[Hypothesis], lexicon: Lexicon) -> Vote:
    """Replace voted words the lexicon does not know by the best-supported known word aligned to them."""
    voted = vote.text.split(" ")
    candidates: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for hyp in hypotheses:
        words = hyp.text.split(" ")
        for op in Levenshtein.opcodes(voted, words):
            if op.tag != "replace" or op.src_end - op.src_start != op.dest_end - op.dest_start:
                continue
            for k in range(op.src_end - op.src_start):
                candidates[op.src_start + k][words[op.dest_start + k]] += hyp.vote()
    changed = False
    for index, options in candidates.items():
        core = _whole_core(voted[index])
        if not core or core in lexicon:
            continue
        known = {
            w: v
            for w, v in options.items()
            if _whole_core(w) in lexicon
            and _same_lines(w, voted[index])
            and _misreading(_whole_core(w), core)
        }
        if known:
            voted[index] = max(known.items(), key=lambda item: item[1])[0]
            changed = True
    if not changed:
        return vote
    text = " ".join(voted)
    return Vote(text, _resample(vote.support, len(text)))


def _whole_core(token: str) -> str:
    """The word of a token, with a hyphenation across a line break joined (`BRONTO-\nLARE,` -> BRONTOLARE)."""
    return word_core(re.sub(r"-\n\s*", "", token))


def _misreading(candidate: str, voted: str) -> bool:
    """Whether `voted` could be a misreading of `candidate`: a few characters apart, not another word."""
    bound = max(1, round(MISREADING_SHARE * len(voted)))
    return Levenshtein.distance(candidate.upper(), voted.upper()) <= bound


def _same_lines(candidate: str, original: str) -> bool:
    return candidate.count("\n") == original.count("\n")


def _resample(support: list[float], length: int) -> list[float]:
    if not support:
        return [0.0] * length
    return [support[min(len(support) - 1, int(i * len(support) / max(1, length)))] for i in range(length)]


def combine(hypotheses: Sequence[Hypothesis], lexicon: Lexicon | None = None) -> Vote:
    """ROVER vote followed by the lexicon check."""
    vote = rover(hypotheses)
    if lexicon is not None and len(hypotheses) > 1:
        vote = lexicon_check(vote, hypotheses, lexicon)
    return vote


def vote_to_lines(vote: Vote) -> list[OcrLine]:
    """Split the voted text back into lines, each with its per-character support as confidence."""
    lines: list[OcrLine] = []
    start = 0
    for part in vote.text.split("\n"):
        confs = vote.support[start : start + len(part)]
        start += len(part) + 1
        text = " ".join(part.split())
        if text:
            lines.append(OcrLine(text, sum(confs) / len(confs) if confs else 0.0))
    return lines


def arbitrate(llm: BaseLLM, readings: Sequence[str], default: int = 0) -> int:
    """Ask an LLM which reading is right (a numbered choice); an unusable answer keeps `default`."""
    prompt = render("ocr/arbiter.j2", readings=[r.replace("\n", " / ") for r in readings])
    answer = llm.invoke(prompt, max_tokens=4, temperature=0.0, stop=["\n"])
    match = re.search(r"\d+", answer)
    if match and 1 <= int(match.group(0)) <= len(readings):
        return int(match.group(0)) - 1
    return default


class EnsembleEngine(OcrEngine):
    """Runs several engines (or preprocessings) on the same crop and votes their readings."""

    def __init__(
        self,
        members: Sequence[OcrEngine],
        weights: Sequence[float] | None = None,
        lexicon: Lexicon | None = None,
        arbiter: BaseLLM | None = None,
    ):
        self.members = list(members)
        self.weights = list(weights) if weights else [1.0] * len(self.members)
        self.lexicon = lexicon if lexicon is not None else italian_lexicon()
        self.arbiter = arbiter
        self.name = "ensemble(" + ",".join(m.name for m in self.members) + ")"

    def read(self, crop: Image.Image, kind: BalloonKind = "speech") -> OcrResult:
        start = time.perf_counter()
        results = [member.read(crop, kind) for member in self.members]
        hypotheses = [Hypothesis.from_result(r, w) for r, w in zip(results, self.weights, strict=True)]
        vote = combine(hypotheses, self.lexicon)
        if self.arbiter is not None:
            vote = self._arbitrate(vote, hypotheses)
        result = OcrResult(vote_to_lines(vote), self.name, time.perf_counter() - start)
        result.members = results
        return result

    def _arbitrate(self, vote: Vote, hypotheses: Sequence[Hypothesis]) -> Vote:
        readings = list(dict.fromkeys([vote.text, *(h.text for h in hypotheses)]))
        if len(readings) == 1 or self.arbiter is None:
            return vote
        chosen = readings[arbitrate(self.arbiter, readings)]
        return vote if chosen == vote.text else Vote(chosen, _resample(vote.support, len(chosen)))

    def close(self) -> None:
        for member in self.members:
            member.close()
