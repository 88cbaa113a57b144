"""The dialogue adapter's data (training novels' quoted speech in the balloon prompt's line format), its
held-out prompts, and the voice writer finding it in the adapter registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune.adapter_job import dialogue_prompts
from finetune.data.dialogue import OPENING, conversations, dialogue_set, paragraph_turns, passage
from tools.errors import InputFileError
from tools.models.adapters import AdapterRecord, adapter_dir, model_for_role_with_adapter, register_adapter
from tools.settings import load_settings

NOVEL = """Capitolo primo.
La carovana si fermò al guado quando il sole era già basso sulle colline e nessuno parlava più da ore, stanchi com'erano del lungo viaggio.
— Chi va là? — gridò la sentinella dal ponte. — Fermatevi subito, vi dico!
— Siamo amici del capitano, non sparate! — rispose il vecchio.
Il vecchio scese da cavallo. «Dov'è il capitano adesso?» chiese piano.
«È partito stamattina con i suoi uomini.»
Disse.
Passarono molti giorni senza notizie, e la pioggia cadde senza tregua sulle tende del campo, finché il fiume non uscì dagli argini e coprì la pianura intera.
«Che cosa facciamo adesso?» «Aspettiamo il capitano.»
"""


def test_paragraphs_keep_usable_speech_and_a_short_situation() -> None:
    turns, ends = paragraph_turns("Il vecchio scese da cavallo. «Dov'è il capitano adesso?» chiese piano.")
    assert not ends
    assert turns == [("speech", "Dov'è il capitano adesso?")]  # the narration left broken is dropped
    turns, _ = paragraph_turns("— Chi va là? — gridò la sentinella dal ponte. — Fermatevi subito, vi dico!")
    assert turns == [
        ("narration", "Gridò la sentinella dal ponte."),
        ("speech", "Chi va là?"),
        ("speech", "Fermatevi subito, vi dico!"),
    ]
    assert paragraph_turns("— Sì. — disse.") == ([], False)  # one word: not a usable line, nothing kept
    assert paragraph_turns(" ".join(["parola"] * 30) + ".")[1]  # long narration ends a conversation


def test_conversations_break_at_long_narration_and_need_two_lines() -> None:
    runs = conversations(NOVEL)
    speech = [[t for k, t in run if k == "speech"] for run in runs]
    assert speech[0][:2] == ["Chi va là?", "Fermatevi subito, vi dico!"]
    assert "È partito stamattina con i suoi uomini." in speech[0]
    assert speech[-1] == ["Che cosa facciamo adesso?", "Aspettiamo il capitano."]
    assert all(len(lines) >= 2 for lines in speech)


def test_passage_is_written_like_the_balloon_prompt() -> None:
    text = passage(
        [("speech", "Chi va là?"), ("narration", "Il vecchio scese da cavallo."), ("speech", "Amici.")],
        ["TEX", "KIT CARSON"],
    )
    assert text.splitlines() == [
        OPENING,
        "TEX: «Chi va là?»",
        "Il vecchio scese da cavallo.",
        "KIT CARSON: «Amici.»",
    ]
    assert passage([("speech", "Sì, vengo."), ("narration", "Poi tacque.")], ["TEX", "TIGER JACK"]).endswith(
        "«Sì, vengo.»"
    )


def test_dialogue_set_holds_out_and_refuses_too_little(tmp_path: Path) -> None:
    novels = []
    for i in range(12):
        path = tmp_path / f"a{i}.txt"
        path.write_text(NOVEL.replace("capitano", f"sergente{i}"), encoding="utf-8")
        novels.append(path)
    dataset = dialogue_set(novels, ["TEX", "KIT CARSON", "TIGER JACK"], seed=1)
    assert dataset.kind == "dialogue" and dataset.heldout
    assert all(not e.prompt and e.completion.startswith(OPENING) for e in dataset.train)
    held = {e.completion for e in dataset.heldout}
    assert not held & {e.completion for e in dataset.train}
    assert len(dialogue_set(novels, ["TEX", "KIT CARSON"], limit=3).train) == 3
    prompts = dialogue_prompts(dataset, 2)
    assert prompts and all(p.endswith(":") and p.rsplit("\n", 1)[-1].rstrip(":").isupper() for p in prompts)
    empty = tmp_path / "empty.txt"
    empty.write_text("Nessuno parlava.\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="fewer than two conversations"):
        dialogue_set([empty], ["TEX", "KIT CARSON"])
    with pytest.raises(InputFileError, match="two character labels"):
        dialogue_set(novels, ["TEX"])


def _adapter(home: Path, name: str, base: str) -> AdapterRecord:
    folder = adapter_dir(home, name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter.gguf").write_bytes(b"GGUF")
    return register_adapter(
        home, AdapterRecord(name=name, kind=name.split(":")[0], base=base, gguf="adapter.gguf")
    )


def test_voice_writer_takes_the_dialogue_adapter_after_a_character_voice(
    isolated_home: Path, tmp_path: Path
) -> None:
    base_file = tmp_path / "base.gguf"
    base_file.write_bytes(b"GGUF")
    base = f"llamacpp:{base_file}"
    settings = load_settings(models={"voice": base, "narrator": base})
    style = _adapter(isolated_home, "style:tex", base)
    dialogue = _adapter(isolated_home, "dialogue:tex", base)
    voice = _adapter(isolated_home, "voice:Kit Carson", base)
    assert str(dialogue.path_for("llamacpp")) in model_for_role_with_adapter(
        settings, "voice", character="Tex"
    )
    assert str(voice.path_for("llamacpp")) in model_for_role_with_adapter(
        settings, "voice", character="Kit Carson"
    )
    assert str(style.path_for("llamacpp")) in model_for_role_with_adapter(settings, "narrator")


def test_cli_dry_run_reads_only_the_training_novels(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from cli.main import cli
    from tools.dialogue.corpus import DialogueSplit

    corpus = shared_dir / "corpus" / "eltec-ita"
    if not corpus.is_dir():
        pytest.skip("ELTeC corpus not present")
    monkeypatch.setenv("NUVOLA_CORPUS_DIR", str(corpus))
    read: list[str] = []
    import finetune.data.dialogue as dialogue

    real_read = dialogue.read_novel
    monkeypatch.setattr(dialogue, "read_novel", lambda path: read.append(path.name) or real_read(path))
    result = CliRunner().invoke(cli, ["finetune", "dialogue", "--dry-run", "--max-passages", "20"])
    assert result.exit_code == 0, result.output
    assert "dialogue:tex: 20 training / 2 held-out" in result.output
    assert "nuvola adapters disable dialogue:tex" in " ".join(result.output.split())  # measured worse: said
    split = DialogueSplit.load(corpus)
    assert set(read) == {p.name for p in split.train}
    assert not set(read) & {p.name for p in split.held_out}
    monkeypatch.setenv("NUVOLA_CORPUS_DIR", str(tmp_path / "absent"))
    missing = CliRunner().invoke(cli, ["finetune", "dialogue", "--dry-run"])
    assert missing.exit_code != 0 and "NUVOLA_CORPUS_DIR" in str(missing.exception)
