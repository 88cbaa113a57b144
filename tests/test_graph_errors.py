"""Error paths of the story graph: junk output is repaired, then replaced by a logged fallback or, in
strict mode, fails clearly; it is never accepted as it is."""

from __future__ import annotations

from collections import Counter

import pytest

from agent.runlog import read_run_log
from agent.runs import RunPaths
from agent.specialists.narrator import OUTLINE_SEEDS
from agent.specialists.voice import ATTEMPTS
from agent.write.run import write_issue
from tests.graph_fakes import WritingResponder
from tools.comic_script import IssueScript
from tools.errors import StructuredOutputError
from tools.settings import load_settings

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
ROLES = ("narrator", "director", "voice")
JUNK = "#### 12345 !!!! ???? <<<>>> ####\n"


def run(tmp_path, llm, **kwargs):
    return write_issue(
        PLOT,
        1,
        tmp_path / "out",
        settings=load_settings(),
        run_id="r",
        seed=1,
        models={role: llm for role in ROLES},
        **kwargs,
    )


def events(kind):
    return [e for e in read_run_log(RunPaths.of(load_settings(), "r").run_log) if e["kind"] == kind]


def test_junk_everywhere_gives_a_valid_plan_made_of_logged_fallbacks(tmp_path, fake_llm):
    fake_llm.responder = lambda prompt: JUNK
    script = run(tmp_path, fake_llm)
    assert script.grammar_problems() == [] and len(script.pages) == 1
    where = {note.where for note in script.fallbacks}
    assert {"issue", "scene 1"} <= where and any(w.startswith("p1-t1-1") for w in where)
    assert any(note.what.endswith("'s line") for note in script.fallbacks)
    failed = [e for e in events("llm") if e["status"] == "failed"]
    sampled = [e for e in failed if e["what"].startswith("outline scene")]  # one attempt per seed
    written = [e for e in failed if e["role"] != "voice" and e not in sampled]
    assert written and all(e["attempts"] == e["max_attempts"] >= 2 for e in written), (
        "junk is always repaired"
    )
    assert len(sampled) == OUTLINE_SEEDS, "every outline seed is tried before the fallback"
    tries = Counter(e["what"] for e in failed if e["role"] == "voice")  # a line: one attempt per seed
    assert tries and set(tries.values()) == {ATTEMPTS}
    assert len(events("fallback")) == len(script.fallbacks)
    lines = [b.text for p in script.panels for b in p.balloons if b.kind == "speech"]
    assert JUNK.strip() not in lines and all(line.isupper() for line in lines)
    assert len(lines) == len(set(lines)), "fallback lines are not repeated"
    markdown = (tmp_path / "out" / "script.md").read_text()
    assert "†" in markdown and "Parti scritte dal ripiego" in markdown
    saved = IssueScript.model_validate_json((tmp_path / "out" / "script.json").read_text())
    assert saved.fallbacks == script.fallbacks


def test_strict_mode_fails_clearly_on_junk(tmp_path, fake_llm):
    fake_llm.responder = lambda prompt: JUNK
    with pytest.raises(
        StructuredOutputError,
        match=rf"scene 1: the model's outline scene stayed unusable.*{OUTLINE_SEEDS} attempts",
    ):
        run(tmp_path, fake_llm, strict=True)
    assert not (tmp_path / "out" / "script.json").exists()


def test_a_copied_example_line_is_repaired_not_accepted(tmp_path, fake_llm):
    good = WritingResponder()
    asked: dict[str, int] = {}

    def copier(prompt: str) -> str:
        if prompt.rstrip().endswith(("\nTEX:", "\nKIT CARSON:")):
            asked[prompt] = asked.get(prompt, 0) + 1
            if asked[prompt] == 1:  # first try: parrot the profile's own sample line
                return " Hai due secondi per lasciar cadere quella pistola. Uno è già passato.\n"
        return good(prompt)

    fake_llm.responder = copier
    script = run(tmp_path, fake_llm)
    lines = [e for e in events("llm") if e["role"] == "voice"]
    copies = [e for e in lines if e["status"] == "failed"]
    assert copies and all("copies an example" in e["error"] for e in copies)  # each first try, rejected
    assert len(copies) == len({e["what"] for e in lines})
    assert script.fallbacks == []
    texts = [b.text for p in script.panels for b in p.balloons]
    assert "HAI DUE SECONDI PER LASCIAR CADERE QUELLA PISTOLA. UNO È GIÀ PASSATO." not in texts


def test_too_few_beats_are_topped_up_visibly(tmp_path, fake_llm):
    good = WritingResponder()

    def stingy(prompt: str) -> str:
        tail = prompt.rstrip().splitlines()[-1]
        if tail == "AZIONE: Tex" and "scruta" not in prompt:  # the first call, after the opening caption
            return " scruta la pianura col binocolo.\nAZIONE: @@@@\n"
        if tail.startswith("AZIONE:"):  # a continuation, with or without the name it starts with
            return " ?????\n"
        return good(prompt)

    fake_llm.responder = stingy
    script = run(tmp_path, fake_llm)
    beats = [n for n in script.fallbacks if n.what.endswith("beat(s)")]
    assert len(beats) == 1 and "1 usable beat(s) of 6" in beats[0].reason
    assert script.scenes[0].beats[0] == "Tex scruta la pianura col binocolo."
    assert len(script.pages[0].panels) == 6
