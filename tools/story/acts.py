"""Speech acts a writer looks for in a character's lines (threats, insults, promises...), by Italian cues.

The tag travels with the line into the memory (`Minaccia di Bradley a Tex: «...»`), so a question such as
"chi minaccia Tex?" finds threats that never use the word. Small embedders cannot infer that on their own.
"""

from __future__ import annotations

import re

_KILL = r"(?:ammazz|uccid|impicc|scotenn|sgozz|strangol|sparer|bucher|far[òa] fuori|faremo fuori)"
ACT_CUES: dict[str, tuple[str, ...]] = {
    "minaccia": (
        r"\b(?:sei|siete|è|sarai|sarete) (?:un uomo |uomini )?(?:morto|morti|finito|finiti|spacciato|spacciati)\b",
        rf"\b(?:ti|vi|lo|la|li|le) {_KILL}\w*",
        rf"\b{_KILL}\w*(?:ò|emo|ete|anno)\b",
        r"\bfar(?:à|ò|emo|anno) (?:impiccare|ammazzare|uccidere|fuori)\b",
        r"\bnon (?:ne )?(?:uscirai|uscirete|uscirà|usciranno) viv[oiae]\b",
        r"\bnon vedr(?:ai|à|ete|anno) (?:l'alba|il tramonto|domani)\b",
        r"\briempi\w* di piombo\b",
        r"\b(?:me|te|ce|ve)? ?la pagher(?:ai|à|ete|anno)\b|\bte la far[òa] pagare\b",
        r"\bun passo (?:ancora|di più)\b",
        r"\b(?:fermo|fermi|alt) o sparo\b|\bmani in alto\b",
        r"\bti far[òa] a pezzi\b|\bvendett[ae]\b|\bti raggiunger\w*\b|\bpreparati a morire\b",
    ),
    "insulto": (
        r"\b(?:sporco|lurido|maledetto|vigliacco|cane|verme|serpente|traditore|canaglia|furfante|sciocco)\b",
    ),
    "richiesta di aiuto": (r"\baiuto\b|\baiutatemi\b|\baiutami\b|\bsalvateci\b|\bsalvami\b",),
    "ringraziamento": (r"\bgrazie\b|\bti ringrazio\b|\bvi ringrazio\b",),
    "promessa": (r"\bti prometto\b|\bvi prometto\b|\bparola di\b|\bte lo giuro\b|\bgiuro\b",),
}
_COMPILED = {act: [re.compile(p) for p in cues] for act, cues in ACT_CUES.items()}


def speech_act(text: str) -> str | None:
    """The first act (in ACT_CUES order) whose cues the line shows, or None."""
    low = " ".join(text.lower().replace("’", "'").split())
    for act, patterns in _COMPILED.items():
        if any(p.search(low) for p in patterns):
            return act
    return None
