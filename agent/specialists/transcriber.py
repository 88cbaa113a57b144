"""The transcriber: reads every balloon of a volume (OCR) and attributes the speech balloons to characters.

Two nodes of the reading route, one per pass, so a run stopped between them resumes at the second; each
pass is resumable in itself (balloons already read are skipped). The OCR engine and the speaker model come
from the run context (injected ones first, else the configured roles).
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.read.context import ReadContext
from agent.read.state import ReadState, TranscribeOutput


def ocr(state: ReadState, runtime: Runtime[ReadContext]) -> TranscribeOutput:
    """Read the text of every balloon of the volume (balloons already read are skipped)."""
    return {"done": {f"ocr:{state['current_volume']}": _transcribe(state, runtime.context, speakers=False)}}


def speakers(state: ReadState, runtime: Runtime[ReadContext]) -> TranscribeOutput:
    """Attribute each speech balloon of the volume to a character."""
    return {
        "done": {f"speakers:{state['current_volume']}": _transcribe(state, runtime.context, speakers=True)}
    }


def _transcribe(state: ReadState, ctx: ReadContext, speakers: bool) -> dict[str, Any]:
    from tools.ocr.transcribe import transcribe_volume

    volume = state["current_volume"]
    engine = ctx.ocr_engine(state.get("engine"))
    with ctx.catalogue() as catalogue:
        progress = ctx.timed(
            "transcribe_volume",
            lambda: transcribe_volume(
                catalogue,
                volume,
                ctx.settings,
                engine,
                speakers=speakers,
                speaker_model=ctx.role_model("speakers"),
            ),
        )
    return {
        "pages": progress.pages,
        "read": progress.read,
        "skipped": progress.skipped,
        "errors": progress.errors,
    }
