"""What the user means, by rules: the embedded model cannot be trusted to classify free chat, so approvals,
rewrites, page counts and memory questions are recognised by keywords (Italian and English) and everything
else is left to the session to read by where the story stands (a storyline, a note, a question)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from agent.characters import fold, mentioned_characters

IntentKind = Literal[
    "approve",
    "finish",
    "rewrite",
    "about",
    "speaks",
    "pages",
    "new_story",
    "greeting",
    "help",
    "question",
    "text",
]

NUMBERS = {
    "una": 1,
    "uno": 1,
    "one": 1,
    "due": 2,
    "two": 2,
    "tre": 3,
    "three": 3,
    "quattro": 4,
    "four": 4,
    "cinque": 5,
    "five": 5,
    "sei": 6,
    "six": 6,
    "sette": 7,
    "seven": 7,
    "otto": 8,
    "eight": 8,
    "nove": 9,
    "nine": 9,
    "dieci": 10,
    "ten": 10,
}
APPROVALS = {
    "",
    "ok",
    "okay",
    "si",
    "sì",
    "va bene",
    "vai",
    "avanti",
    "approvo",
    "approvata",
    "approvato",
    "perfetto",
    "bene",
    "benissimo",
    "d accordo",
    "daccordo",
    "procedi",
    "prosegui",
    "continua",
    "vai avanti",
    "ok vai",
    "ok avanti",
    "si vai",
    "si avanti",
    "mi piace",
    "yes",
    "y",
    "go",
    "go on",
    "go ahead",
    "next",
    "continue",
    "looks good",
    "good",
    "fine",
    "great",
    "ok go on",
    "ok next",
    "sounds good",
    "approved",
    "i like it",
}
_PAGES = re.compile(
    r"\b(?:(?:in|di|su|da|of|with)\s+)?(?P<n>\d{1,3}|"
    + "|".join(NUMBERS)
    + r")\s+(?:pagine|pagina|tavole|tavola|pages|page)\b",
    re.IGNORECASE,
)
_FINISH = re.compile(
    r"\b(finisci|finiscila|completa|scrivi (tutto|il resto)|fino alla fine|fino in fondo|tutto il resto|"
    r"finish|write the rest|to the end|all the way|the rest)\b",
    re.IGNORECASE,
)
_NEW_STORY = re.compile(r"\b(nuova storia|un'?altra storia|new story|another story)\b", re.IGNORECASE)
_REWRITE = re.compile(
    r"^\s*(riscrivi|riscrivila|riscrivile|rifai|rifalla|rifalle|riprova|ripeti|cambia|rewrite|redo|try again|again)\b"
    r"(\s+(la scena|questa scena|scena|i dialoghi|dialoghi|le battute|battute|il dialogo|la tavola|tutto|"
    r"the scene|this scene|scene|the dialogue|dialogue|the lines|lines|it))?[\s,:;.!-]*",
    re.IGNORECASE,
)
_DIALOGUE = re.compile(r"\b(dialog\w*|battut\w*|balloon\w*|lines?|voci)\b", re.IGNORECASE)
_NOTE_LEAD = re.compile(r"^(con|with|per|so that|perché|in modo che)\s+", re.IGNORECASE)
_ABOUT = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:che\s+)?cosa\s+(?:sappiamo|sai|ricordi|ricorda la memoria|dice la memoria)\s+"
        r"(?:di|del|della|dello|dell'|dei|degli|delle|su|sul|sulla|sullo|sull'|sui|sugli|sulle|riguardo a)\s*(?P<s>.+)",
        r"^cosa\s+si\s+sa\s+(?:di|del|della|dello|dell'|su|sul|sulla)\s*(?P<s>.+)",
        r"^chi\s+(?:è|e'|e|era)\s+(?P<s>.+)",
        r"^parlami\s+(?:di|del|della|dello|dell'|dei|degli|delle)\s*(?P<s>.+)",
        r"^(?:what|what else)\s+do\s+(?:we|you)\s+know\s+(?:about|of)\s+(?P<s>.+)",
        r"^who\s+(?:is|was)\s+(?P<s>.+)",
        r"^tell\s+me\s+about\s+(?P<s>.+)",
    )
]
_SPEAKS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^come\s+(?:parla|parlava|si esprime|si esprimeva)\s+(?P<s>.+)",
        r"^how\s+(?:does|did)\s+(?P<s>.+?)\s+(?:talk|speak|sound)\b",
        r"^what\s+does\s+(?P<s>.+?)\s+sound\s+like",
    )
]
_GREETINGS = {"ciao", "salve", "buongiorno", "buonasera", "hello", "hi", "hey"}
_HELP = {"aiuto", "help", "?", "cosa posso fare", "cosa sai fare", "what can you do", "comandi", "commands"}
_QUESTION_WORDS = re.compile(
    r"^(perché|perche|secondo te|pensi|credi|why|how|which|what|do you|should|could|would|can you)\b",
    re.IGNORECASE,
)


@dataclass
class Intent:
    """A recognised request: its kind, and the subject, note or page count it carries."""

    kind: IntentKind
    subject: str = ""
    note: str = ""
    pages: int | None = None
    dialogue_only: bool = False


def page_count(text: str) -> int | None:
    """`4 pagine`, `una pagina`, `two pages` -> the number, else None."""
    match = _PAGES.search(text)
    if not match:
        return None
    word = match.group("n").lower()
    return int(word) if word.isdigit() else NUMBERS[word]


def without_page_count(text: str) -> str:
    """The storyline without its `N pagine` phrase and the punctuation it leaves behind."""
    stripped = _PAGES.sub("", text)
    stripped = re.sub(r"\s+([.,;:!])", r"\1", stripped)
    stripped = re.sub(r"[.,;:]\s*([.,;:])", r"\1", stripped)
    return " ".join(stripped.split()).strip(" ,;:-")


def _subject(raw: str, profile: Any) -> str:
    """The character named in `raw` (canonical name), else `raw` without articles and punctuation."""
    named = mentioned_characters(profile, raw)
    if named:
        return str(named[0])
    text = re.sub(r"^(il|lo|la|l'|i|gli|le|the)\s*", "", raw.strip(" ?!.'\""), flags=re.IGNORECASE)
    return text.strip(" ?!.'\"")


def detect(text: str, profile: Any) -> Intent:
    """The intent of one user message (slash commands are handled before this)."""
    clean = " ".join(text.split())
    folded = fold(clean)
    if folded in APPROVALS or clean.strip(" .!") in APPROVALS:
        return Intent("approve")
    if folded in _GREETINGS:
        return Intent("greeting")
    if folded in _HELP or clean == "?":
        return Intent("help")
    for pattern in _SPEAKS:
        match = pattern.match(clean)
        if match:
            return Intent("speaks", subject=_subject(match.group("s"), profile))
    for pattern in _ABOUT:
        match = pattern.match(clean)
        if match:
            return Intent("about", subject=_subject(match.group("s"), profile))
    if _NEW_STORY.search(clean):
        rest = _NEW_STORY.split(clean)[-1].strip(" :,.-")
        return Intent("new_story", note=rest, pages=page_count(clean))
    rewrite = _REWRITE.match(clean)
    if rewrite:
        note = _NOTE_LEAD.sub("", clean[rewrite.end() :].strip())
        return Intent("rewrite", note=note, dialogue_only=bool(_DIALOGUE.search(clean[: rewrite.end()])))
    if _FINISH.search(clean) and len(folded.split()) <= 6:
        return Intent("finish")
    pages = page_count(clean)
    if pages is not None and len(without_page_count(clean).split()) <= 3:
        return Intent("pages", pages=pages)
    if clean.endswith("?") or (
        _QUESTION_WORDS.match(clean) and len(clean.split()) <= 12 and "." not in clean
    ):
        return Intent("question", note=clean)
    return Intent("text", note=clean, pages=pages)
