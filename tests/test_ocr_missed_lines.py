"""Lines of a balloon the page-level detector did not propose (tools/ocr/missed_lines.py): found from the
ink beside the balloon's detected lines, read by the recogniser, and never made of texture or art."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tools.ocr.missed_lines import missed_lines, missed_rows
from tools.ocr.text_regions import TextDetector, TextLine, get_text_detector
from tools.ocr.transcribe import with_missed_lines

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
BALLOON = (100, 60, 300, 170)  # x, y, w, h of the oval


def _balloon(
    first: str = "SÌ...", second: str = "PERFETTO!"
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """A white oval balloon with a black outline on grey art, holding two centred lines; returns the page
    and the two lines' boxes (as a detector would give them: the ink with a little margin)."""
    image = Image.new("RGB", (500, 300), (120, 120, 120))
    draw = ImageDraw.Draw(image)
    x, y, w, h = BALLOON
    draw.ellipse([x, y, x + w, y + h], fill=(255, 255, 255), outline=(0, 0, 0), width=3)
    font = ImageFont.truetype(str(FONT), 26)
    boxes = []
    for n, text in enumerate([first, second]):
        width = draw.textlength(text, font=font)
        left, top = 250 - width / 2, 100 + 36 * n
        draw.text((left, top), text, font=font, fill=(10, 10, 10))
        x0, y0, x1, y1 = draw.textbbox((left, top), text, font=font)
        boxes.append((int(x0) - 3, int(y0) - 3, int(x1 - x0) + 6, int(y1 - y0) + 6))
    return image, boxes


def test_a_row_of_lettering_above_a_detected_line_is_found() -> None:
    image, (first, second) = _balloon()
    rows = missed_rows(image, BALLOON, [second], [second])
    assert len(rows) == 1
    x, y, w, h = rows[0]
    assert (
        abs((x + w / 2) - (first[0] + first[2] / 2)) <= 6
        and abs((y + h / 2) - (first[1] + first[3] / 2)) <= 6
    )
    assert y + h <= second[1] + 2  # the pseudo-line stays off the detected one


def test_a_line_the_detector_found_is_not_found_again() -> None:
    image, (first, second) = _balloon()
    assert missed_rows(image, BALLOON, [second], [first, second]) == []


def test_nothing_is_looked_for_in_a_balloon_without_detected_lines() -> None:
    image, _ = _balloon()
    assert missed_rows(image, BALLOON, [], []) == []


def test_texture_beside_the_line_is_not_a_row() -> None:
    """Stipple (dots scattered over the paper above the line) is not lettering set in a row."""
    image, (_, second) = _balloon(first="")
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(3)
    for _ in range(60):
        cx, cy = rng.integers(180, 320), rng.integers(95, 128)
        draw.ellipse([cx, cy, cx + 3, cy + 3], fill=(0, 0, 0))
    assert missed_rows(image, BALLOON, [second], [second]) == []


def test_marks_far_from_the_balloons_lines_are_not_a_row() -> None:
    image, (_, second) = _balloon(first="")
    ImageDraw.Draw(image).text((150, 190), "xx", font=ImageFont.truetype(str(FONT), 12), fill=(0, 0, 0))
    far = (second[0], second[1] - 80, second[2], second[3])  # the balloon's line, set far above the marks
    assert missed_rows(image, BALLOON, [far], [far]) == []


def test_a_missed_row_is_read_and_kept_only_when_the_reading_is_confident() -> None:
    image, (_, second) = _balloon()
    held = [TextLine(second, 0.99, "PERFETTO!")]
    crops: list[tuple[int, ...]] = []

    def sure(crop: np.ndarray) -> tuple[str, float]:
        crops.append(crop.shape)
        return "SÌ...", 0.95

    lines = missed_lines(image, BALLOON, held, [second], sure)
    assert [line.text for line in lines] == ["SÌ...", "PERFETTO!"] and len(crops) == 1
    assert missed_lines(image, BALLOON, held, [second], lambda crop: ("SÌ...", 0.3)) == held
    assert missed_lines(image, BALLOON, held, [second], lambda crop: ("|#~", 0.99)) == held


class _NoCrops(TextDetector):
    name = "scripted"

    def detect(self, image: Image.Image) -> list[TextLine]:
        return []


def test_a_detector_that_reads_no_crops_leaves_the_lines_as_found() -> None:
    image, (first, second) = _balloon()
    held = [TextLine(second, 0.9, "PERFETTO!"), TextLine(first, 0.9, "SÌ...")]
    assert [line.text for line in with_missed_lines(image, BALLOON, held, [], _NoCrops())] == [
        "SÌ...",
        "PERFETTO!",
    ]
    with pytest.raises(NotImplementedError, match="scripted"):
        _NoCrops().recognise(np.zeros((4, 4, 3), np.uint8))


@pytest.mark.real
def test_the_recogniser_reads_a_missed_line_of_a_real_balloon() -> None:
    image, (_, second) = _balloon()
    detector = get_text_detector("rapidocr")
    assert detector is not None and detector.reads_crops
    lines = with_missed_lines(image, BALLOON, [TextLine(second, 0.99, "PERFETTO!")], [second], detector)
    assert len(lines) == 2 and lines[0].text.upper().startswith(("SÌ", "SI")) and lines[1].text == "PERFETTO!"


def test_a_balloon_box_past_the_page_edge_is_read_inside_the_page() -> None:
    image, (_, second) = _balloon()
    page = image.crop((0, 0, 270, 300))  # the page ends in the middle of the lettering
    held = [TextLine((second[0], second[1], 270 - second[0], second[3]), 0.99, "PERFET")]
    shapes: list[tuple[int, ...]] = []

    def read(crop: np.ndarray) -> tuple[str, float]:
        shapes.append(crop.shape)
        assert crop[:, -1].max() > 0  # no black column padded beyond the page
        return "SÌ", 0.95

    lines = missed_lines(page, BALLOON, held, [held[0].box], read)
    assert all(line.box[0] + line.box[2] <= 270 for line in lines) and len(shapes) <= 1
