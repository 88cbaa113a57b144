"""The one OCR interface: a balloon crop in, lettered text lines with confidences out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

BalloonKind = Literal["speech", "caption"]


@dataclass
class OcrLine:
    """One lettered line as read, with a confidence in [0, 1] and, when the engine gives them, per character."""

    text: str
    confidence: float
    char_confidences: list[float] | None = None

    def confidence_at(self, index: int) -> float:
        if self.char_confidences and index < len(self.char_confidences):
            return self.char_confidences[index]
        return self.confidence


@dataclass
class OcrResult:
    """What an engine read in one crop: its lines (top to bottom), which engine, how long it took."""

    lines: list[OcrLine]
    engine: str
    seconds: float = 0.0
    notes: dict[str, str] = field(default_factory=dict)
    members: list[OcrResult] = field(default_factory=list)  # an ensemble's per-engine readings

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def confidence(self) -> float:
        """Mean confidence weighted by line length; 0 when nothing was read."""
        total = sum(len(line.text) for line in self.lines)
        if not total:
            return 0.0
        return sum(line.confidence * len(line.text) for line in self.lines) / total


class OcrEngine(ABC):
    """Reads the lettering of one balloon crop (RGB or L image of the balloon's box)."""

    name: str = "ocr"

    @abstractmethod
    def read(self, crop: Image.Image, kind: BalloonKind = "speech") -> OcrResult:
        """The lettered lines in `crop`, top to bottom."""

    def close(self) -> None:  # noqa: B027 - most engines hold nothing to release
        """Release native resources (Tesseract handles, model memory); the engine may not be used after."""
