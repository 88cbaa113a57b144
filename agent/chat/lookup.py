"""Answers from what Nuvola knows, never from the model: the series profile and the memory, each fact with
where it comes from (the profile file; volume, page and balloon for what was read)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from agent.chat.messages import message

MEMORY_HITS = 6
SNIPPET_CHARS = 200


def profile_source(profile: Any) -> str:
    return f"tools/series/profiles/{getattr(profile, 'name', 'tex')}.yaml"


def _read_hits(hits: list[Any]) -> list[Any]:
    """Hits from what was read (volumes, text files); the profile's own records are shown from the profile."""
    return [h for h in hits if not str(h.provenance.source or "").startswith("profile:")]


def _hit_lines(out: Text, hits: list[Any]) -> None:
    for hit in hits:
        out.append(f"  · [{hit.kind}] ", style="dim")
        out.append(_clip(" ".join(hit.text.split())))
        out.append(f"  ({short_reference(hit.provenance)})\n", style="green")


def _clip(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def short_reference(provenance: Any) -> str:
    """`Tex 1, p. 8, balloon b2`: volume, page(s) and the balloon or panel on the page (ids shortened to
    their part after the page id); a text file as `file §3`."""
    parts = [provenance.volume] if provenance.volume else []
    if provenance.page_index is not None:
        parts.append(f"p. {provenance.page_index + 1}")
    elif len(provenance.pages) == 2:
        first, last = (n + 1 for n in provenance.pages)
        parts.append(f"p. {first}" if first == last else f"pp. {first}-{last}")
    if provenance.balloon_ids:
        parts.append("balloon " + ",".join(b.rsplit(":", 1)[-1] for b in provenance.balloon_ids))
    elif provenance.panel_id:
        number = provenance.panel_id.rsplit(":", 1)[-1]
        parts.append(f"panel {int(number) + 1}" if number.isdigit() else f"panel {provenance.panel_id}")
    if provenance.source and not provenance.volume:
        parts.append(
            provenance.source + (f" §{provenance.chunk + 1}" if provenance.chunk is not None else "")
        )
    return ", ".join(parts) or "?"


def _profile_block(out: Text, card: Any, profile: Any, lang: str) -> None:
    out.append(message("about_profile", lang, source=profile_source(profile)) + "\n", style="bold")
    names = f"{card.name}" + (f" ({', '.join(card.aliases)})" if card.aliases else "")
    out.append(f"  {names}" + (f" — {card.role}" if card.role else "") + "\n")
    rows = (
        ("carattere", "; ".join(card.traits)),
        ("come parla", "; ".join(card.speech_habits)),
        ("relazioni", "; ".join(f"{r.kind} di {r.to}" for r in card.relations)),
    )
    for label, value in rows:
        if value:
            out.append(f"  {label}: ", style="dim")
            out.append(f"{value}\n")


def about(store: Any, profile: Any, subject: str, lang: str) -> Text:
    """What we know of `subject` (a character or any topic): the profile's sheet, then what memory holds."""
    from memory.retrieval import search

    card = profile.find(subject) if profile is not None else None
    out = Text()
    if card is not None:
        _profile_block(out, card, profile, lang)
    if store is None:
        if card is None:
            out.append(message("unknown_subject", lang, subject=subject, series=profile.name) + "\n")
        out.append(message("memory_empty", lang), style="yellow")
        return out
    name = card.name if card is not None else None
    hits = _read_hits(search(store, subject, character=name, k=MEMORY_HITS)) if name else []
    hits = hits or _read_hits(search(store, subject, k=MEMORY_HITS))
    if card is not None:
        _volume_counts(out, store, profile, card.name, lang)
    if not hits:
        out.append(message("memory_nothing", lang, subject=subject), style="yellow")
        return out
    out.append(message("about_memory", lang, count=len(hits)) + "\n", style="bold")
    _hit_lines(out, hits)
    out.rstrip()
    return out


def _volume_counts(out: Text, store: Any, profile: Any, name: str, lang: str) -> None:
    """How many lines of the character each remembered volume holds."""
    from memory.retrieval import character_sheet

    sheet = character_sheet(store, profile, name)
    for volume in sheet.volumes:
        out.append("  " + message("volumes_line", lang, volume=volume.volume, lines=volume.line_count) + "\n")


def speaks(store: Any, profile: Any, subject: str, lang: str) -> Text:
    """How a character talks: the profile's speech habits and sample lines, then the lines memory holds."""
    from memory.retrieval import character_lines

    card = profile.find(subject) if profile is not None else None
    out = Text()
    if card is not None:
        out.append(message("speaks_profile", lang, source=profile_source(profile)) + "\n", style="bold")
        for habit in card.speech_habits:
            out.append(f"  · {habit}\n")
        if card.sample_lines:
            out.append(message("sample_lines", lang) + "\n", style="bold")
            for line in card.sample_lines:
                out.append(f"  «{line}»\n", style="italic")
    elif store is None:
        out.append(message("unknown_subject", lang, subject=subject, series=profile.name) + "\n")
    if store is None:
        out.append(message("memory_empty", lang), style="yellow")
        return out
    hits = _read_hits(character_lines(store, card.name if card else subject, k=MEMORY_HITS))
    if not hits:
        out.append(message("memory_nothing", lang, subject=subject), style="yellow")
        return out
    out.append(message("remembered_lines", lang, count=len(hits)) + "\n", style="bold")
    _hit_lines(out, hits)
    out.rstrip()
    return out
