"""The catalogue of ingested scans: volumes, pages, panels and balloons in one SQLite file.

Pages are content-addressed (id = sha256 of the decoded pixels), so ingesting a page twice is a no-op.
Every image path stored here (page images) is RELATIVE TO THE DATA HOME (the folder holding
`catalogue.sqlite`); `Catalogue.image_file()` and `Catalogue.crop_file()` give absolute paths.
Crops live at `crops/<page_id>/<n>.png` (panel n) and `crops/<page_id>/b<n>.png` (balloon n).
Ids: panel `"{page_id}:{n}"`, balloon `"{page_id}:b{n}"`, with n the 0-based reading order (balloons
page-wide). Boxes are integer page pixels `x, y, w, h` from the top-left corner.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tools.errors import UnknownVolumeError

if TYPE_CHECKING:
    from tools.settings import Settings

SCHEMA_VERSION = 1
CATALOGUE_FILE = "catalogue.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS volumes (
    id INTEGER PRIMARY KEY,
    name TEXT UNIQUE NOT NULL,
    source TEXT
);
CREATE TABLE IF NOT EXISTS pages (
    id TEXT PRIMARY KEY,
    volume_id INTEGER NOT NULL REFERENCES volumes(id) ON DELETE CASCADE,
    page_index INTEGER NOT NULL,
    source_name TEXT NOT NULL,
    image_path TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pages_by_volume ON pages(volume_id, page_index);
CREATE TABLE IF NOT EXISTS panels (
    id TEXT PRIMARY KEY,
    page_id TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    reading_order INTEGER NOT NULL,
    x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
    polygon TEXT
);
CREATE INDEX IF NOT EXISTS panels_by_page ON panels(page_id, reading_order);
CREATE TABLE IF NOT EXISTS balloons (
    id TEXT PRIMARY KEY,
    page_id TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    panel_id TEXT REFERENCES panels(id) ON DELETE SET NULL,
    reading_order INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('speech', 'caption')),
    x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
    tail_x INTEGER, tail_y INTEGER,
    text TEXT, lines TEXT, ocr_confidence REAL, engine TEXT,
    speaker TEXT, speaker_confidence REAL
);
CREATE INDEX IF NOT EXISTS balloons_by_page ON balloons(page_id, reading_order);
"""


@dataclass(frozen=True)
class VolumeRecord:
    """A named volume (one book, one issue)."""

    id: int
    name: str
    source: str | None


@dataclass(frozen=True)
class PageRecord:
    """A page; `image_path` is relative to the data home."""

    id: str
    volume_id: int
    page_index: int
    source_name: str
    image_path: str
    width: int
    height: int


@dataclass(frozen=True)
class PanelRecord:
    """A panel box in page pixels; `polygon` is its outline as [[x, y], ...] (page pixels)."""

    id: str
    page_id: str
    reading_order: int
    x: int
    y: int
    w: int
    h: int
    polygon: list[list[int]]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


@dataclass(frozen=True)
class BalloonRecord:
    """A speech balloon or caption box (page pixels, body without tail); text fields come from OCR."""

    id: str
    page_id: str
    panel_id: str | None
    reading_order: int
    kind: Literal["speech", "caption"]
    x: int
    y: int
    w: int
    h: int
    tail_x: int | None = None
    tail_y: int | None = None
    text: str | None = None
    lines: list[str] | None = None
    ocr_confidence: float | None = None
    engine: str | None = None
    speaker: str | None = None
    speaker_confidence: float | None = None

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


@dataclass(frozen=True)
class VolumeStats:
    """How much of a volume is catalogued."""

    pages: int
    panels: int
    balloons: int
    transcribed: int


class Catalogue:
    """The SQLite catalogue. One connection per instance; every write is one transaction."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self.transaction() as db:
            for statement in _statements(SCHEMA):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @classmethod
    def open(cls, settings: Settings) -> Catalogue:
        """The catalogue of the data home: `settings.home / "catalogue.sqlite"`."""
        return cls(Path(settings.home) / CATALOGUE_FILE)

    @property
    def home(self) -> Path:
        """The data home: stored image paths are relative to it."""
        return self.path.parent

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---- reading ---------------------------------------------------------------------------------

    def volumes(self) -> list[VolumeRecord]:
        rows = self._db.execute("SELECT id, name, source FROM volumes ORDER BY name").fetchall()
        return [VolumeRecord(**dict(r)) for r in rows]

    def volume(self, name: str) -> VolumeRecord:
        """The volume called `name`; UnknownVolumeError (listing the known ones) when absent."""
        row = self._db.execute("SELECT id, name, source FROM volumes WHERE name = ?", (name,)).fetchone()
        if row is None:
            known = ", ".join(v.name for v in self.volumes()) or "none yet; run `nuvola ingest`"
            raise UnknownVolumeError(f"no volume {name!r} in {self.path} (known: {known})")
        return VolumeRecord(**dict(row))

    def has_volume(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM volumes WHERE name = ?", (name,)).fetchone() is not None

    def pages(self, volume_name: str) -> list[PageRecord]:
        """The pages of a volume in reading order."""
        vol = self.volume(volume_name)
        rows = self._db.execute(
            "SELECT * FROM pages WHERE volume_id = ? ORDER BY page_index, id", (vol.id,)
        ).fetchall()
        return [PageRecord(**dict(r)) for r in rows]

    def page(self, page_id: str) -> PageRecord | None:
        row = self._db.execute("SELECT * FROM pages WHERE id = ?", (page_id,)).fetchone()
        return PageRecord(**dict(row)) if row else None

    def panels(self, page_id: str) -> list[PanelRecord]:
        """The panels of a page in reading order."""
        rows = self._db.execute(
            "SELECT * FROM panels WHERE page_id = ? ORDER BY reading_order", (page_id,)
        ).fetchall()
        return [_panel(r) for r in rows]

    def balloons(self, page_id: str) -> list[BalloonRecord]:
        """The balloons and captions of a page in (page-wide) reading order."""
        rows = self._db.execute(
            "SELECT * FROM balloons WHERE page_id = ? ORDER BY reading_order", (page_id,)
        ).fetchall()
        return [_balloon(r) for r in rows]

    def balloon(self, balloon_id: str) -> BalloonRecord | None:
        row = self._db.execute("SELECT * FROM balloons WHERE id = ?", (balloon_id,)).fetchone()
        return _balloon(row) if row else None

    def stats(self, volume_name: str) -> VolumeStats:
        vol = self.volume(volume_name)
        row = self._db.execute(
            """SELECT (SELECT COUNT(*) FROM pages WHERE volume_id = :v),
                      (SELECT COUNT(*) FROM panels JOIN pages ON pages.id = panels.page_id
                        WHERE volume_id = :v),
                      (SELECT COUNT(*) FROM balloons JOIN pages ON pages.id = balloons.page_id
                        WHERE volume_id = :v),
                      (SELECT COUNT(*) FROM balloons JOIN pages ON pages.id = balloons.page_id
                        WHERE volume_id = :v AND text IS NOT NULL)""",
            {"v": vol.id},
        ).fetchone()
        return VolumeStats(*row)

    def source_names(self, volume_id: int) -> dict[str, int]:
        """source_name -> page_index for the pages already in a volume (resume bookkeeping)."""
        rows = self._db.execute(
            "SELECT source_name, page_index FROM pages WHERE volume_id = ?", (volume_id,)
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def image_file(self, page: PageRecord) -> Path:
        """The absolute path of a page's stored image."""
        return self.home / page.image_path

    def crop_file(self, item_id: str) -> Path:
        """The absolute path of the crop of a panel (`page:n`) or balloon (`page:bn`) id."""
        page_id, _, n = item_id.partition(":")
        return self.home / crop_relpath(page_id, n)

    # ---- writing ---------------------------------------------------------------------------------

    def ensure_volume(self, name: str, source: str | None = None) -> VolumeRecord:
        """The volume called `name`, created if needed (its source is kept from the first ingest)."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO volumes(name, source) VALUES (?, ?)", (name, source))
        return self.volume(name)

    def add_page(
        self, page: PageRecord, panels: Sequence[PanelRecord], balloons: Sequence[BalloonRecord]
    ) -> bool:
        """Insert a page with its panels and balloons in one transaction; False if already there."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM pages WHERE id = ?", (page.id,)).fetchone():
                return False
            db.execute(
                "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    page.id,
                    page.volume_id,
                    page.page_index,
                    page.source_name,
                    page.image_path,
                    page.width,
                    page.height,
                ),
            )
            db.executemany(
                "INSERT INTO panels VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [_panel_row(p) for p in panels]
            )
            db.executemany(
                "INSERT INTO balloons VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_balloon_row(b) for b in balloons],
            )
        return True

    def set_transcript(
        self,
        balloon_id: str,
        text: str | None,
        lines: Sequence[str] | None,
        confidence: float | None,
        engine: str | None,
    ) -> None:
        """Store the OCR result of a balloon."""
        lines_json = json.dumps(list(lines), ensure_ascii=False) if lines is not None else None
        self._update_balloon(
            balloon_id,
            "text = ?, lines = ?, ocr_confidence = ?, engine = ?",
            (text, lines_json, confidence, engine),
        )

    def set_speaker(self, balloon_id: str, speaker: str | None, confidence: float | None) -> None:
        """Store who speaks a balloon (None for captions or unknown)."""
        self._update_balloon(balloon_id, "speaker = ?, speaker_confidence = ?", (speaker, confidence))

    def remove_volume(self, name: str) -> int:
        """Delete a volume, its pages, panels, balloons, page images and crops; returns pages removed."""
        vol = self.volume(name)
        pages = self.pages(name)
        with self.transaction() as db:
            db.execute(
                "DELETE FROM balloons WHERE page_id IN (SELECT id FROM pages WHERE volume_id = ?)", (vol.id,)
            )
            db.execute(
                "DELETE FROM panels WHERE page_id IN (SELECT id FROM pages WHERE volume_id = ?)", (vol.id,)
            )
            db.execute("DELETE FROM pages WHERE volume_id = ?", (vol.id,))
            db.execute("DELETE FROM volumes WHERE id = ?", (vol.id,))
        for page in pages:
            self.image_file(page).unlink(missing_ok=True)
            shutil.rmtree(self.home / "crops" / page.id, ignore_errors=True)
        return len(pages)

    def _update_balloon(self, balloon_id: str, assignments: str, values: tuple[Any, ...]) -> None:
        with self.transaction() as db:
            cur = db.execute(f"UPDATE balloons SET {assignments} WHERE id = ?", (*values, balloon_id))
            if cur.rowcount == 0:
                raise KeyError(f"no balloon {balloon_id!r} in {self.path}")


def crop_relpath(page_id: str, n: str | int) -> str:
    """Where the crop of panel n (`"3"`) or balloon n (`"b3"`) of a page lives, relative to the home."""
    return f"crops/{page_id}/{n}.png"


def page_relpath(page_id: str, suffix: str) -> str:
    """Where a page image lives, relative to the home (sharded by the first two hex digits)."""
    return f"pages/{page_id[:2]}/{page_id}{suffix}"


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _panel(row: sqlite3.Row) -> PanelRecord:
    data = dict(row)
    data["polygon"] = json.loads(data["polygon"]) if data["polygon"] else []
    return PanelRecord(**data)


def _balloon(row: sqlite3.Row) -> BalloonRecord:
    data = dict(row)
    data["lines"] = json.loads(data["lines"]) if data["lines"] is not None else None
    return BalloonRecord(**data)


def _panel_row(p: PanelRecord) -> tuple[Any, ...]:
    return (p.id, p.page_id, p.reading_order, p.x, p.y, p.w, p.h, json.dumps(p.polygon))


def _balloon_row(b: BalloonRecord) -> tuple[Any, ...]:
    lines = json.dumps(b.lines, ensure_ascii=False) if b.lines is not None else None
    return (
        b.id,
        b.page_id,
        b.panel_id,
        b.reading_order,
        b.kind,
        b.x,
        b.y,
        b.w,
        b.h,
        b.tail_x,
        b.tail_y,
        b.text,
        lines,
        b.ocr_confidence,
        b.engine,
        b.speaker,
        b.speaker_confidence,
    )
