"""The remix artist against a real catalogue (filled through its API with pages we rendered ourselves) and the
memory: matching cast, one use per source panel, lettering in-painted away, clear errors without an archive."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tools.ingest.catalogue import Catalogue
from tools.render import render_issue
from tools.render.archive import archive_rendered_issue
from tools.render.art import ArtContext
from tools.render.remix import RemixArtist, RemixError, balloon_mask, remix_image
from tools.render.samples import load_sample


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    scans = tmp_path_factory.mktemp("scans")
    render_issue(load_sample(), scans, color=False, dpi=100)
    catalogue = Catalogue(tmp_path_factory.mktemp("home") / "catalogue.sqlite")
    assert archive_rendered_issue(catalogue, scans, "Tex di prova") == 3
    return catalogue


def test_remix_reuses_panels_with_the_same_cast_once_each(archive: Catalogue, tmp_path: Path) -> None:
    script = load_sample()
    script.pages = script.pages[:2]
    result = render_issue(script, tmp_path, artist="remix", catalogue=archive, dpi=100)
    sources = [p.source for p in result.panels]
    assert all(s.startswith("remix:Tex di prova/") for s in sources), sources
    assert len(set(sources)) == len(sources), "a source panel was used twice"
    artist = RemixArtist()
    artist.prepare(ArtContext(catalogue=archive))
    by_id = {s.panel_id: s for s in artist._sources}
    for spec, report in zip(script.panels, result.panels, strict=True):
        cast = {f.name.lower() for f in spec.figures} | {
            b.speaker.lower() for b in spec.balloons if b.speaker
        }
        chosen = by_id[report.source.rsplit("/", 1)[1]]
        assert not cast or cast & chosen.cast, f"{spec.id} ({cast}) remixed a panel of {set(chosen.cast)}"
    assert result.cbz.is_file() and result.pdf.is_file()


def test_original_lettering_is_inpainted_away(archive: Catalogue) -> None:
    artist = RemixArtist()
    artist.prepare(ArtContext(catalogue=archive))
    source = max(artist._sources, key=lambda s: sum(k == "speech" for k, _b, _t in s.balloons))
    size = (source.box[2], source.box[3])
    clean, free = remix_image(source, size)
    with Image.open(source.image) as page:
        x, y, w, h = source.box
        original = np.asarray(page.convert("L").crop((x, y, x + w, y + h)))
    after = np.asarray(clean)
    mask = balloon_mask(source)[:h, :w] > 0
    text = np.zeros_like(mask)  # the middle of each balloon, where its lines of text were
    for _kind, (bx, by, bw, bh), _tail in source.balloons:
        text[by - y + bh // 4 : by - y + 3 * bh // 4, bx - x + bw // 5 : bx - x + 4 * bw // 5] = True
    edges_before = (cv2.Canny(original, 80, 160) > 0)[text].mean()
    edges_after = (cv2.Canny(after, 80, 160) > 0)[text].mean()
    assert edges_before > 0.05 and edges_after < 0.25 * edges_before, (edges_before, edges_after)
    outside = ~mask
    assert (
        np.abs(original[outside].astype(int) - after[outside].astype(int)).mean() < 2
    )  # the art is untouched
    assert len(free) == len(source.balloons)


def test_remix_needs_an_archive(tmp_path: Path) -> None:
    with pytest.raises(RemixError, match="ingest"):
        render_issue(load_sample(), tmp_path, artist="remix")
    empty = Catalogue(tmp_path / "home" / "catalogue.sqlite")
    with pytest.raises(RemixError, match="no panels"):
        render_issue(load_sample(), tmp_path, artist="remix", catalogue=empty)
    assert not (tmp_path / "issue.cbz").exists()


@pytest.mark.real
def test_memory_ranks_the_remembered_panel_first(archive: Catalogue, tmp_path: Path) -> None:
    from memory.records import MemoryRecord, Provenance
    from memory.retrieval import art_lookups
    from memory.store import MemoryStore
    from tools.settings import load_settings

    store = MemoryStore.open(load_settings(home=tmp_path, models={"embedder": "fake"}))
    artist = RemixArtist()
    artist.prepare(ArtContext(catalogue=archive))
    tex_panels = [s for s in artist._sources if s.cast == {"tex"}]
    assert len(tex_panels) >= 2
    chosen = tex_panels[-1]
    store.upsert(
        [
            MemoryRecord(
                kind="panel",
                key=f"Tex di prova#{chosen.panel_id}",
                text="Tex punta la colt contro il bandito nel saloon",
                metadata={"characters": ["Tex"], "shot": "piano americano"},
                provenance=Provenance(
                    volume="Tex di prova", panel_id=chosen.panel_id, page_id=chosen.page_id
                ),
            )
        ]
    )
    panel = load_sample().pages[1].tiers[2].panels[0]  # Tex, piano americano, in the saloon
    context = ArtContext(catalogue=archive, **art_lookups(store))
    assert artist.choose(panel, (300, 360), context).panel_id == chosen.panel_id
