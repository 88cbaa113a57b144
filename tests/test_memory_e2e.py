"""End to end: a generated volume is ingested, transcribed, reconstructed and remembered, and
`nuvola memory search "chi minaccia Tex?"` answers with the threats and the pages they are on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tools.synth import generate_volume

pytestmark = [pytest.mark.real, pytest.mark.slow]
VOLUME = "La pista dei fucili"
PAGES = 12  # with seed 1 the story reaches the raider's threat on the last page
THREAT_CUES = ("sei morto", "non ne uscirete vivi", "farà impiccare")


def _threat_pages(truth: dict) -> dict[str, int]:
    """Threats spoken in the generated story (by their text) and the 0-based page each is on."""
    pages = sorted(truth["balloons"])
    return {
        b["text"].lower(): pages.index(name)
        for name, balloons in truth["balloons"].items()
        for b in balloons
        if b["speaker"] and any(cue in b["text"].lower() for cue in THREAT_CUES)
    }


def _run(home: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--home", str(home), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_generated_volume_to_who_threatens_tex(tmp_path: Path) -> None:
    truth = json.loads(generate_volume(tmp_path / "scans", pages=PAGES, seed=1).read_text("utf-8"))
    threats = _threat_pages(truth)
    assert threats, "the generated pages should include a threat"
    home = tmp_path / "home"
    _run(home, "ingest", str(tmp_path / "scans"), "--volume", VOLUME)
    _run(home, "transcribe", VOLUME)
    assert "remembered" in _run(home, "reconstruct", VOLUME, "--no-llm")
    hits = json.loads(_run(home, "memory", "search", "chi minaccia Tex?", "--json"))
    found = [h for h in hits if h["kind"] == "line" and _matches(h["text"], threats)]
    assert found, [h["text"] for h in hits]
    for hit in found:
        line = _matches(hit["text"], threats)
        assert hit["provenance"]["page_index"] == threats[line]
        assert hit["provenance"]["balloon_ids"] and (home / hit["provenance"]["image_path"]).is_file()


def _matches(text: str, threats: dict[str, int]) -> str | None:
    """The truth threat whose words a (possibly imperfect) transcript line carries."""
    said = text.split(": ", 1)[-1].lower()
    for threat in threats:
        words = [w for w in threat.replace("!", " ").replace(",", " ").split() if len(w) > 3]
        if words and sum(w in said for w in words) >= 0.7 * len(words):
            return threat
    return None
