"""Helpers for the translation tests: a catalogue filled from generated pages, a fake translator model."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from PIL import Image

# An English "translation" for each generated balloon: the fake model answers with these, by length, so
# that the re-lettered text is about as long as the Italian it replaces.
ENGLISH = [
    "Hold it right there!",
    "One rider, alone. Looks wounded!",
    "He fainted. Lost a lot of blood, but he'll pull through.",
    "The cargo... the rifles for the reservation... they ambushed us at dawn.",
    "Dust on the trail... somebody is riding this way, and fast.",
    "Damn this heat! I feel like a steak on the grill.",
    "Stop grumbling, old friend. The town is behind that hill.",
    "That's what you said three hills ago!",
    "Arizona, summer of 1878. On the trail to Santa Rita two riders move on under a burning sun...",
]


def fake_english(prompt: str) -> str:
    """The fake translator: the English line whose length is closest to the Italian being asked about."""
    italian = re.findall(r"Italian: (.*)\nEnglish:\s*$", prompt)
    source = italian[-1] if italian else prompt.strip().splitlines()[-1]
    return " " + min(ENGLISH, key=lambda e: abs(len(e) - 0.9 * len(source)))


def catalogue_from_synth(home: Path, truth_file: Path, volume: str = "synth") -> object:
    """A Catalogue under `home` whose volume holds the generated pages, with balloon boxes and text from truth."""
    from tools.ingest.catalogue import BalloonRecord, Catalogue, PageRecord

    truth = json.loads(truth_file.read_text())
    catalogue = Catalogue(home / "catalogue.sqlite")
    vol = catalogue.ensure_volume(volume)
    for index, (name, balloons) in enumerate(sorted(truth["balloons"].items())):
        path = truth_file.parent / name
        with Image.open(path) as im:
            width, height = im.size
        page_id = hashlib.sha256(path.read_bytes()).hexdigest()
        page = PageRecord(page_id, vol.id, index, name, str(path), width, height)
        records = [BalloonRecord(f"{page_id}:b{n}", page_id, None, n, "caption" if b["kind"] == "caption"
                                 else "speech", *b["bbox"], text=b["text"], lines=b["lines"], speaker=b["speaker"])
                   for n, b in enumerate(balloons) if b["kind"] in ("speech", "caption")]
        catalogue.add_page(page, [], records)
    return catalogue
