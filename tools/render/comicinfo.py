"""ComicInfo.xml (Anansi Project schema v2.0): what comic readers show about an issue, and a validator.

The v2.0 schema is one `xs:sequence` of optional elements, so element ORDER matters; `validate_comicinfo`
checks names, order, multiplicity, the typed values we write and the Page attributes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tools.comic_script import IssueScript

# The element sequence of ComicInfo v2.0, in schema order.
SEQUENCE: tuple[str, ...] = (
    "Title",
    "Series",
    "Number",
    "Count",
    "Volume",
    "AlternateSeries",
    "AlternateNumber",
    "AlternateCount",
    "Summary",
    "Notes",
    "Year",
    "Month",
    "Day",
    "Writer",
    "Penciller",
    "Inker",
    "Colorist",
    "Letterer",
    "CoverArtist",
    "Editor",
    "Publisher",
    "Imprint",
    "Genre",
    "Web",
    "PageCount",
    "LanguageISO",
    "Format",
    "BlackAndWhite",
    "Manga",
    "Characters",
    "Teams",
    "Locations",
    "ScanInformation",
    "StoryArc",
    "SeriesGroup",
    "AgeRating",
    "Pages",
    "CommunityRating",
)
INT_ELEMENTS = {"Count", "Volume", "AlternateCount", "Year", "Month", "Day", "PageCount"}
ENUMS = {
    "BlackAndWhite": {"Unknown", "No", "Yes"},
    "Manga": {"Unknown", "No", "Yes", "YesAndRightToLeft"},
}
PAGE_TYPES = {
    "FrontCover",
    "InnerCover",
    "Roundup",
    "Story",
    "Advertisement",
    "Editorial",
    "Letters",
    "Preview",
    "BackCover",
    "Other",
    "Deleted",
}
PAGE_ATTRIBUTES = {"Image", "Type", "DoublePage", "ImageSize", "Key", "Bookmark", "ImageWidth", "ImageHeight"}


class ComicInfoError(ValueError):
    """A ComicInfo.xml document does not follow the v2.0 schema."""


@dataclass(frozen=True)
class PageEntry:
    """One page image as ComicInfo describes it."""

    image_size: int
    width: int
    height: int
    kind: str = "Story"


def build_comicinfo(script: IssueScript, pages: list[PageEntry], *, colour: bool, artist: str) -> bytes:
    """The ComicInfo.xml of a rendered issue, elements in schema order."""
    values: dict[str, str] = {
        "Title": script.title,
        "Series": script.series,
        "Number": str(script.number),
        "Summary": script.storyline,
        "Notes": f"Rendered by Nuvola (artist: {artist}, seed: {script.seed}).",
        "Writer": script.writer,
        "Penciller": f"Nuvola {artist.split(':')[0]}",
        "Colorist": "Nuvola palette colorist" if colour else "",
        "Letterer": "Nuvola letterer",
        "Genre": "Western",
        "PageCount": str(len(pages)),
        "LanguageISO": script.language,
        "BlackAndWhite": "No" if colour else "Yes",
        "Manga": "No",
        "Characters": ", ".join(script.cast),
        "Locations": ", ".join(dict.fromkeys(s.place for s in script.scenes if s.place)),
    }
    root = ET.Element(
        "ComicInfo",
        {
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xmlns:xsd": "http://www.w3.org/2001/XMLSchema",
        },
    )
    for name in SEQUENCE:
        if name == "Pages":
            pages_el = ET.SubElement(root, "Pages")
            for i, page in enumerate(pages):
                ET.SubElement(
                    pages_el,
                    "Page",
                    {
                        "Image": str(i),
                        "Type": page.kind,
                        "ImageSize": str(page.image_size),
                        "ImageWidth": str(page.width),
                        "ImageHeight": str(page.height),
                    },
                )
        elif values.get(name):
            ET.SubElement(root, name).text = values[name]
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _check_value(element: ET.Element) -> None:
    text = (element.text or "").strip()
    if element.tag in INT_ELEMENTS:
        try:
            int(text)
        except ValueError:
            raise ComicInfoError(f"<{element.tag}> must be an integer, got {text!r}") from None
    if element.tag in ENUMS and text not in ENUMS[element.tag]:
        raise ComicInfoError(f"<{element.tag}> must be one of {sorted(ENUMS[element.tag])}, got {text!r}")


def _check_pages(pages: ET.Element) -> None:
    for page in pages:
        if page.tag != "Page":
            raise ComicInfoError(f"<Pages> may only hold <Page>, found <{page.tag}>")
        unknown = set(page.attrib) - PAGE_ATTRIBUTES
        if unknown:
            raise ComicInfoError(f"<Page> has unknown attributes {sorted(unknown)}")
        if "Image" not in page.attrib:
            raise ComicInfoError("<Page> lacks the required Image attribute")
        for attr in ("Image", "ImageSize", "ImageWidth", "ImageHeight"):
            if attr in page.attrib and not page.attrib[attr].lstrip("-").isdigit():
                raise ComicInfoError(f"<Page {attr}> must be an integer, got {page.attrib[attr]!r}")
        if not set(page.attrib.get("Type", "Story").split()) <= PAGE_TYPES:
            raise ComicInfoError(f"<Page Type> {page.attrib['Type']!r} is not a ComicPageType")


def validate_comicinfo(data: bytes) -> ET.Element:
    """Parse and check a ComicInfo.xml against the v2.0 schema; returns the root or raises ComicInfoError."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ComicInfoError(f"not well-formed XML: {exc}") from exc
    if root.tag != "ComicInfo":
        raise ComicInfoError(f"root element is <{root.tag}>, expected <ComicInfo>")
    last = -1
    for element in root:
        if element.tag not in SEQUENCE:
            raise ComicInfoError(f"<{element.tag}> is not a ComicInfo v2.0 element")
        position = SEQUENCE.index(element.tag)
        if position == last:
            raise ComicInfoError(f"<{element.tag}> appears more than once")
        if position < last:
            raise ComicInfoError(f"<{element.tag}> is out of schema order (after <{SEQUENCE[last]}>)")
        last = position
        _check_value(element)
        if element.tag == "Pages":
            _check_pages(element)
    return root
