"""script.md: the issue plan as a readable comic script (scenes, then pages, tiers, panels, lettering)."""

from __future__ import annotations

from tools.comic_script import IssueScript, PanelSpec

FALLBACK_MARK = "†"


def _flagged(script: IssueScript) -> set[str]:
    """Panel ids with something written by a fallback."""
    return {note.where.split()[0] for note in script.fallbacks if note.where.startswith("p")}


def _panel_lines(panel: PanelSpec, number: int, flagged: set[str]) -> list[str]:
    mark = f" {FALLBACK_MARK}" if panel.id in flagged else ""
    cast = ", ".join(f.name for f in panel.figures) or "nessuno"
    lines = [
        "",
        f"**Vignetta {number}** `{panel.id}` — *{panel.shot}* — {panel.description}{mark}",
        "",
        f"- in scena: {cast}",
    ]
    for balloon in panel.balloons:
        who = "DIDASCALIA" if balloon.kind == "caption" else (balloon.speaker or "?").upper()
        lines.append(f"- {who}: {balloon.text}")
    return lines


def script_markdown(script: IssueScript) -> str:
    """The whole script as Markdown; parts written by a fallback are marked with a dagger."""
    flagged = _flagged(script)
    out = [
        f"# {script.series.upper()} — {script.title}",
        "",
        f"*Soggetto:* {script.storyline}",
        "",
        f"*Personaggi:* {', '.join(script.cast)}",
        "",
        "## Scene",
        "",
    ]
    for scene in script.scenes:
        pages = (
            f"pp. {scene.pages[0]}–{scene.pages[-1]}"
            if len(scene.pages) > 1
            else f"p. {scene.pages[0]}"
            if scene.pages
            else ""
        )
        out.append(f"{scene.index + 1}. **{scene.place}**, {scene.time} ({pages}) — {', '.join(scene.cast)}")
        for label, value in (
            ("obiettivo", scene.goal),
            ("conflitto", scene.conflict),
            ("svolta", scene.turn),
        ):
            if value:
                out.append(f"   - {label}: {value}")
    for page in script.pages:
        out += ["", f"## Tavola {page.number}"]
        number = 0
        for tier_number, tier in enumerate(page.tiers, start=1):
            out += [
                "",
                f"### Striscia {tier_number} ({len(tier.panels)} vignett{'a' if len(tier.panels) == 1 else 'e'})",
            ]
            for panel in tier.panels:
                number += 1
                out += _panel_lines(panel, number, flagged)
    if script.fallbacks:
        out += ["", f"## Parti scritte dal ripiego ({FALLBACK_MARK})", ""]
        out += [f"- {n.where}: {n.what} — {n.reason}" for n in script.fallbacks]
    models = ", ".join(f"{role}={name}" for role, name in sorted(script.models.items()))
    out += ["", "---", f"run `{script.run_id}` · seed {script.seed} · {models}", ""]
    return "\n".join(out)
