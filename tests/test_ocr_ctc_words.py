"""Unknown words of the recogniser's reading corrected from its own CTC frames against the lexicon."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tools.ocr.ctc_words import (
    apply_changes,
    correct_words,
    ctc_log_likelihood,
    greedy_path,
    lexicon_neighbours,
)
from tools.ocr.lexicon import Lexicon
from tools.ocr.line_reading import lexicon_reading
from tools.ocr.normalise import left_to_rules
from tools.ocr.text_regions import TextLine, line_frames

ALPHABET = ["blank", " ", "A", "I", "L", "M", "N", "O", "T", "X", "Z", "'", "a", "i", "l", "m", "n", "o", "t"]
K = {c: i for i, c in enumerate(ALPHABET)}


def _frames(rows: list[dict[str, float]]) -> np.ndarray:
    """Log-probabilities per frame from {char: probability}; what is left goes to the blank."""
    probs = np.full((len(rows), len(ALPHABET)), 1e-6)
    for t, row in enumerate(rows):
        for char, p in row.items():
            probs[t, K[char]] = p
        probs[t, 0] = max(1e-6, 1.0 - sum(row.values()))
    return np.log(probs / probs.sum(axis=1, keepdims=True))


def _spell(text: str, second: dict[int, tuple[str, float]] | None = None) -> list[dict[str, float]]:
    """One frame per letter with a blank frame after it; `second` gives frame n a runner-up letter."""
    rows: list[dict[str, float]] = []
    for n, char in enumerate(text):
        row = {char: 0.9}
        if second and n in second:
            other, p = second[n]
            row = {char: 0.9 - p, other: p}
        rows += [row, {}]
    return rows


def test_the_forward_algorithm_sums_every_alignment() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 3))
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    for labels in ([1], [1, 2], [1, 1], [2, 1, 2]):
        total = 0.0
        for path in itertools.product(range(3), repeat=4):  # every frame labelling that collapses to labels
            collapsed = [k for n, k in enumerate(path) if k != 0 and (n == 0 or k != path[n - 1])]
            if collapsed == labels:
                total += np.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
        assert ctc_log_likelihood(log_probs, labels) == pytest.approx(np.log(total))


def test_greedy_path_collapses_repeats_and_keeps_each_letters_frames() -> None:
    log_probs = _frames([{"L": 0.9}, {"L": 0.9}, {}, {"O": 0.9}, {}, {"O": 0.9}])
    path = greedy_path(log_probs, ALPHABET)
    assert [(e.char, e.first, e.last) for e in path] == [("L", 0, 1), ("O", 3, 3), ("O", 5, 5)]


def _lexicon() -> Lexicon:
    lexicon = Lexicon()
    lexicon.add(["lontani", "lontano", "tanto", "il"])
    return lexicon


def test_an_unknown_word_becomes_the_dictionary_word_its_frames_allow() -> None:
    # LONTAM read, but the frames of M also give N a fair share and an I follows faintly: LONTANI
    rows = _spell("IL LONTAM", second={8: ("N", 0.4)})
    rows[-1] = {"I": 0.3}
    reading = correct_words(_frames(rows), ALPHABET, _lexicon())
    assert reading.text == "IL LONTANI"
    assert [(read, meant) for read, meant, _ in reading.changes] == [("LONTAM", "LONTANI")]


def test_a_confident_unknown_word_stays_as_read() -> None:
    # every letter sure: a name the dictionary lacks, not a misreading
    rows = [{c: 0.999} if c != " " else {" ": 0.999} for c in "IL LOTTIZ"]
    frames = [row for r in rows for row in (r, {})]
    reading = correct_words(_frames(frames), ALPHABET, _lexicon())
    assert reading.text == "IL LOTTIZ" and not reading.changes


def test_words_the_caller_leaves_and_known_words_are_not_touched() -> None:
    rows = _spell("LONTAM", second={5: ("N", 0.4)})
    assert correct_words(_frames(rows), ALPHABET, _lexicon(), leave=lambda w: w == "LONTAM").text == "LONTAM"
    known = _spell("LONTANO", second={6: ("I", 0.4)})
    assert correct_words(_frames(known), ALPHABET, _lexicon()).text == "LONTANO"


def test_neighbours_are_found_within_the_edit_distance_closest_first() -> None:
    find = lexicon_neighbours(_lexicon())
    assert find("lontam", 2) == ["lontani", "lontano"]
    assert find("lontam", 1) == []
    assert find("tanti", 1) == ["tanto"]
    assert find("xyz", 2) == []


def test_changes_are_carried_onto_another_reading_as_whole_words() -> None:
    changes = [("CUADO", "GUADO", 0.5)]
    assert apply_changes("CUADO, MA E'", changes) == "GUADO, MA E'"
    assert apply_changes("ACUADOTTO CUADO", changes) == "ACUADOTTO GUADO"


def test_the_lettering_rules_keep_the_words_they_repair_better() -> None:
    from tools.ocr.lexicon import italian_lexicon

    lexicon = italian_lexicon()
    assert left_to_rules("PIU", lexicon)  # a lost accent: PIÙ
    assert left_to_rules("DINOI", lexicon)  # a lost space: DI NOI
    assert left_to_rules("DOVÈ", lexicon)  # a lost apostrophe: DOV'È
    assert left_to_rules("TEX", lexicon)  # the series' own name
    assert not left_to_rules("LONTAM", lexicon)
    assert not left_to_rules("SORVECLIATO", lexicon)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_recogniser_frames_of_a_line_decode_to_its_reading() -> None:
    """The real packaged recogniser: the frames `line_frames` gives read back as the recogniser's own text,
    and a line read right is left as it is."""
    from tools.ocr.text_regions import get_text_detector

    font = ImageFont.truetype(str(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")), 32)
    image = Image.new("RGB", (420, 52), "white")
    ImageDraw.Draw(image).text((10, 6), "SONO GIÀ LONTANI", font=font, fill="black")
    rgb = np.asarray(image)
    text, score = get_text_detector("rapidocr").recognise(rgb)
    line = TextLine((0, 0, 420, 52), score, text, crop=rgb)
    frames = line_frames(line)
    assert frames is not None
    log_probs, alphabet = frames
    assert log_probs.shape[1] == len(alphabet)
    assert "".join(e.char for e in greedy_path(log_probs, alphabet)) == text
    assert lexicon_reading(line) == text == "SONO GIÀ LONTANI"
    assert line_frames(TextLine((0, 0, 420, 52), score, text)) is None  # no crop, no frames


def test_a_line_takes_the_corrections_of_its_second_reading(monkeypatch) -> None:
    """The corrections of the line read alone are carried onto the detector's reading, which keeps its
    marks; a line read right is not read again; in sentence case a capitalised word is a name, kept."""
    import tools.ocr.text_regions as text_regions

    def spelled(text: str) -> list[dict[str, float]]:
        rows = _spell(text, second={len(text) - 1: (text[-1].translate(str.maketrans("Mm", "Nn")), 0.4)})
        rows[-1] = {"I" if text.isupper() else "i": 0.3}
        return rows

    calls = []

    def frames(line: TextLine) -> tuple[np.ndarray, list[str]]:
        calls.append(line.text)
        return _frames(spelled(line.text.rstrip("!"))), ALPHABET

    monkeypatch.setattr(text_regions, "line_frames", frames)
    crop = np.zeros((8, 8, 3), dtype=np.uint8)
    assert lexicon_reading(TextLine((0, 0, 9, 9), 0.9, "IL LONTAM!", crop=crop)) == "IL LONTANI!"
    assert lexicon_reading(TextLine((0, 0, 9, 9), 0.9, "SONO LONTANI", crop=crop)) == "SONO LONTANI"
    assert lexicon_reading(TextLine((0, 0, 9, 9), 0.9, "il lontam", crop=crop)) == "il lontani"
    assert lexicon_reading(TextLine((0, 0, 9, 9), 0.9, "il Lontam", crop=crop)) == "il Lontam"
    assert calls == ["IL LONTAM!", "il lontam", "il Lontam"]


def test_the_crop_engines_frames_decode_to_its_reading() -> None:
    """The `rapidocr` OCR engine (balloon crops) reads through the same frames: decoded greedily they are
    its reading, and a line read right comes back unchanged."""
    import cv2

    from tools.ocr.rapid import RapidOcrEngine
    from tools.ocr.recogniser_frames import recogniser_frames

    font = ImageFont.truetype(str(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")), 32)
    image = Image.new("L", (420, 52), 255)
    ImageDraw.Draw(image).text((10, 6), "IL GUADO È LONTANO", font=font, fill=0)
    gray = np.asarray(image)
    engine = RapidOcrEngine()
    line = engine._read_line(gray)
    log_probs, alphabet = recogniser_frames(engine._recogniser, cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    assert "".join(e.char for e in greedy_path(log_probs, alphabet)) == line.text == "IL GUADO È LONTANO"


@pytest.mark.parametrize(("lettered", "accented"), [("MA È SORVEGLIATO", True), ("MA E SORVEGLIATO", False)])
def test_a_lone_e_in_a_line_takes_its_accent_when_the_ink_shows_it(lettered: str, accented: bool) -> None:
    """Breip capitals: the recogniser reads È as E here; the frames find the E on the crop and the ink over
    it decides (the real packaged recogniser)."""
    from tools.ocr.line_reading import accented_lone_es
    from tools.ocr.text_regions import get_text_detector

    font = ImageFont.truetype("/usr/share/fonts/truetype/breip/Breip.ttf", 40)
    image = Image.new("RGB", (700, 60), "white")
    ImageDraw.Draw(image).text((10, 5), lettered, font=font, fill="black")
    rgb = np.asarray(image)
    text, score = get_text_detector("rapidocr").recognise(rgb)
    assert text.startswith("MA E ")
    fixed = accented_lone_es(TextLine((0, 0, 700, 60), score, text, crop=rgb), text)
    assert fixed.startswith("MA È ") == accented
    assert fixed[5:] == text[5:]
