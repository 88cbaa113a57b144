"""Put a rendered issue into the catalogue (contract 1) as if it had been scanned and read: its pages, panels
and balloons with speakers, so the remix artist can reuse Nuvola's own earlier issues."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tools.errors import InputFileError


def archive_rendered_issue(catalogue: Any, rendered: Path | str, volume: str) -> int:
    """Add the pages of a `render_issue` output folder to `catalogue` as volume `volume`; returns pages added."""
    from tools.ingest.catalogue import BalloonRecord, PageRecord, PanelRecord

    rendered = Path(rendered)
    try:
        manifest = json.loads((rendered / "render.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputFileError(rendered / "render.json", f"not a rendered issue ({exc})") from exc
    vol = catalogue.ensure_volume(volume, source=str(rendered))
    added = 0
    for index, name in enumerate(manifest["pages"]):
        with Image.open(rendered / "pages" / name) as image:
            pixels = np.asarray(image.convert("RGB"))
        page_id = hashlib.sha256(pixels.tobytes()).hexdigest()
        relative = f"pages/{page_id}.png"
        (catalogue.home / "pages").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rendered / "pages" / name, catalogue.home / relative)
        panels: list[PanelRecord] = []
        balloons: list[BalloonRecord] = []
        for n, report in enumerate(p for p in manifest["panels"] if p["page"] == index + 1):
            x, y, w, h = report["box"]
            panel_id = f"{page_id}:{n}"
            panels.append(
                PanelRecord(
                    panel_id, page_id, n, x, y, w, h, [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
                )
            )
            for b in report["balloons"]:
                if b["kind"] == "sfx":
                    continue
                bx, by, bw, bh = b["box"]
                tail = b.get("tail")
                balloons.append(
                    BalloonRecord(
                        f"{page_id}:b{len(balloons)}",
                        page_id,
                        panel_id,
                        len(balloons),
                        "caption" if b["kind"] == "caption" else "speech",
                        x + bx,
                        y + by,
                        bw,
                        bh,
                        tail_x=x + tail[0] if tail else None,
                        tail_y=y + tail[1] if tail else None,
                        text=" ".join(b["lines"]),
                        lines=b["lines"],
                        speaker=b["speaker"],
                    )
                )
        page = PageRecord(page_id, vol.id, index, name, relative, pixels.shape[1], pixels.shape[0])
        added += bool(catalogue.add_page(page, panels, balloons))
    return added
