"""The one-file HTML reader, opened in headless Chromium: the first page renders, the keys turn pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tools.render import render_issue
from tools.render.samples import load_sample

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BACKGROUND = np.array([0x1D, 0x1D, 0x1F])

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reader")
    return render_issue(load_sample(), out, dpi=60).html


@pytest.mark.real
def test_first_page_renders_in_chromium(reader: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    run = chromium(tmp_path, "--window-size=800,1000", f"--screenshot={shot}", reader.as_uri())
    assert shot.is_file(), run.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    page = pixels[80:960, 80:720]  # where the page sits: below the header, centred
    not_background = np.abs(page - BACKGROUND).sum(axis=2) > 30
    assert not_background.mean() > 0.5, "the page image did not render"
    light, dark = (page.mean(axis=2) > 200).mean(), (page.mean(axis=2) < 60).mean()
    assert light > 0.05 and dark > 0.005, "the page is blank"


@pytest.mark.real
def test_keys_and_hash_turn_pages(reader: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.html"
    script = (
        "<script>for (const key of ['ArrowRight', ' ', 'ArrowLeft', 'End']) "
        "document.dispatchEvent(new KeyboardEvent('keydown', {key}));"
        "document.title = document.getElementById('counter').textContent + '|' + "
        "document.getElementById('page').alt;</script></body>"
    )
    probe.write_text(reader.read_text("utf-8").replace("</body>", script), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", probe.as_uri()).stdout
    assert "<title>3 / 3|pagina 3</title>" in dom
    dom = chromium(tmp_path, "--dump-dom", reader.as_uri() + "#2").stdout
    assert 'id="counter">2 / 3<' in dom
