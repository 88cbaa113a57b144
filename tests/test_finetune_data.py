"""Training sets: style (held-out files), voices (script lines, aliases), OCR cleaning (noise, OCR sets), encoding."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest

from finetune.data.examples import TextExample, TrainingSet, read_jsonl_examples
from finetune.data.ocr_clean import (
    OcrPair,
    balloon_lines,
    ocr_clean_set,
    read_ocr_set,
    reference_text,
    sentences,
)
from finetune.data.ocr_noise import NoiseRates, add_ocr_noise, lettering_form
from finetune.data.style import split_passages, style_set_from_files
from finetune.data.voice_sets import parse_script, story_bank_scenes, voice_examples, voice_set
from tools.errors import InputFileError

SCRIPT = """Arizona, 1878. Due cavalieri nel deserto.
TEX: Guarda laggiù, polvere sulla pista.
KIT CARSON: Un cavaliere solo. Sembra ferito!
Tex: Aiutami a tirarlo giù di sella.

INTANTO, AL FORTE...
CARSON: Il colonnello ci aspetta.
TEX: Allora sbrighiamoci.
"""


def test_style_holds_out_the_last_file_and_cuts_passages(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Primo paragrafo.\n" * 300, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Romanzo tenuto da parte.\n" * 50, encoding="utf-8")
    dataset = style_set_from_files([tmp_path])
    assert dataset.heldout_sources == [str(tmp_path / "b.txt")]
    assert all("tenuto" not in e.completion for e in dataset.train)
    assert all("tenuto" in e.completion and not e.prompt for e in dataset.heldout)
    assert len(dataset.train) > 1 and all(len(e.completion) < 2100 for e in dataset.train)


def test_style_single_file_keeps_its_tail_out(tmp_path: Path) -> None:
    text = "\n".join(f"Paragrafo numero {i} della storia." for i in range(600))
    (tmp_path / "one.txt").write_text(text, encoding="utf-8")
    dataset = style_set_from_files([tmp_path / "one.txt"])
    assert "Paragrafo numero 599" in dataset.heldout[-1].completion
    assert all("numero 599 " not in e.completion for e in dataset.train)


def test_style_source_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="missing.txt: no such file"):
        style_set_from_files([tmp_path / "missing.txt"])
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(InputFileError, match="empty.txt: the file is empty"):
        style_set_from_files([tmp_path / "empty.txt"])


def test_split_passages_respects_paragraphs() -> None:
    passages = split_passages("uno due\n" * 10, size=30)
    assert all(p.endswith("due") for p in passages) and sum(p.count("uno") for p in passages) == 10


def test_script_parsing_and_voice_pairs_follow_aliases() -> None:
    scenes = parse_script(SCRIPT)
    assert len(scenes) == 2 and scenes[0][0].speaker is None and scenes[1][0].text == "INTANTO, AL FORTE..."
    is_carson = lambda label: label.upper() in {"KIT CARSON", "CARSON"}  # noqa: E731
    examples = voice_examples(scenes, is_carson, "KIT CARSON")
    assert [e.completion for e in examples] == [
        " Un cavaliere solo. Sembra ferito!\n",
        " Il colonnello ci aspetta.\n",
    ]
    assert examples[0].prompt.endswith("TEX: Guarda laggiù, polvere sulla pista.\nKIT CARSON:")
    assert examples[0].prompt.startswith("DIDASCALIA: Arizona, 1878.")


def test_voice_set_from_story_bank_and_jsonl(tmp_path: Path) -> None:
    rows = [
        {"context": ["TEX: Andiamo."], "line": "Ai tuoi ordini!"},
        {"context": "TEX: Su!", "line": "Eccomi."},
    ]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    dataset = voice_set(
        "Kit Carson", ["story-bank", pairs], lambda s: s in {"Kit Carson"}, sample_lines=["Dannazione!"]
    )
    bank_lines = sum(1 for scene in story_bank_scenes() for row in scene if row.speaker == "Kit Carson")
    assert len(dataset.train) + len(dataset.heldout) == bank_lines + 2 + 1
    assert TextExample("TEX: Su!\nKIT CARSON:", " Eccomi.\n") in dataset.train + dataset.heldout
    assert dataset.heldout and not set(map(str, dataset.heldout)) & set(map(str, dataset.train))


def test_voice_set_without_lines_is_a_clear_error() -> None:
    with pytest.raises(InputFileError, match="only 0 line"):
        voice_set("Nessuno", ["story-bank"], lambda s: False)


def test_ocr_noise_is_reproducible_and_lettering_like() -> None:
    text = lettering_form("È più tardi, vecchio mio!")
    assert text == "E' PIU' TARDI, VECCHIO MIO!"
    first = [add_ocr_noise(text, random.Random(3)) for _ in range(2)]
    assert first[0] == first[1]
    noisy = {add_ocr_noise(text, random.Random(s), NoiseRates(apostrophe=1.0)) for s in range(20)}
    assert all("E'" not in n for n in noisy)  # every lettered apostrophe misread when the rate is 1
    assert add_ocr_noise(text, random.Random(0), NoiseRates().scaled(0.0)) == text


def test_ocr_pairs_and_sets(tmp_path: Path) -> None:
    assert reference_text("È più tardi…") == "È PIÙ TARDI..."
    assert all(len(line) <= 18 for line in balloon_lines("Accidenti a questo caldo, mi sento cuocere!"))
    found = sentences(["Corri! Questo è troppo corto. Ma questa frase è abbastanza lunga da restare."])
    assert found == ["Questo è troppo corto.", "Ma questa frase è abbastanza lunga da restare."]
    ocr_set = tmp_path / "set.jsonl"
    ocr_set.write_text(
        json.dumps({"lines": ["E* PIU'", "TARDI"], "text": "È più tardi"}) + "\n{}\n", encoding="utf-8"
    )
    with pytest.raises(InputFileError, match="set.jsonl: row 2"):
        read_ocr_set(ocr_set)
    ocr_set.write_text(
        json.dumps({"lines": ["E* PIU'", "TARDI"], "text": "È più tardi"}) + "\n", encoding="utf-8"
    )
    assert read_ocr_set(ocr_set) == [OcrPair("È PIÙ TARDI", "È PIÙ TARDI")]


def test_ocr_clean_set_holds_out_whole_sentences(tmp_path: Path) -> None:
    dataset = ocr_clean_set(["story-bank"], engine=None, seed=1, heldout=10, max_train=40)
    assert len(dataset.heldout) == 10 and len(dataset.train) == 80
    held = {e.completion for e in dataset.heldout}
    assert not held & {e.completion for e in dataset.train}
    example = dataset.heldout[0]
    assert (
        example.prompt.endswith(f"Testo OCR: {example.original}\nTesto corretto:")
        and example.completion.isupper()
    )
    dataset.save(tmp_path)
    assert read_jsonl_examples(tmp_path / "heldout.jsonl") == dataset.heldout
    assert json.loads((tmp_path / "dataset.json").read_text())["heldout_examples"] == 10


def test_encoding_masks_prompts_and_packs_style() -> None:
    from finetune.encode import IGNORE, count_label_tokens, encode_examples
    from finetune.tiny import tiny_tokenizer, tiny_vocab

    tok = tiny_tokenizer(tiny_vocab())
    pairs = encode_examples(tok, [TextExample("TEX:", " Ciao!\n")], 64)[0]
    prompt_len = 1 + len(tok("TEX:", add_special_tokens=False)["input_ids"])
    assert pairs["input_ids"][0] == tok.bos_token_id and pairs["input_ids"][-1] == tok.eos_token_id
    assert (
        pairs["labels"][:prompt_len] == [IGNORE] * prompt_len and IGNORE not in pairs["labels"][prompt_len:]
    )
    blocks = encode_examples(tok, [TextExample("", "abcdefghij" * 10)], 16)
    assert all(len(b["input_ids"]) == 16 and b["input_ids"][0] == tok.bos_token_id for b in blocks)
    assert count_label_tokens(blocks) == 15 * len(blocks)


def test_training_set_summary_counts() -> None:
    dataset = TrainingSet("style", [TextExample("", "abc")], [TextExample("p", "de")], ["x"])
    assert dataset.summary()["train_chars"] == 3 and dataset.summary()["heldout_chars"] == 3


def test_ocr_clean_set_keeps_the_validation_sentences_out_of_training() -> None:
    from finetune.data.ocr_clean import story_bank_sentences

    measured = story_bank_sentences()[:5]
    eval_pairs = [OcrPair(reference_text(t).replace("O", "0"), reference_text(t)) for t in measured]
    dataset = ocr_clean_set(["story-bank"], eval_pairs=eval_pairs, engine=None, seed=2, max_train=10_000)
    assert [e.original for e in dataset.heldout] == [p.ocr for p in eval_pairs]
    trained = {e.completion.strip() for e in dataset.train}
    assert trained and not trained & {p.text for p in eval_pairs}


def test_ocr_noise_reads_specks_between_words_as_stops() -> None:
    only_specks = dataclasses.replace(NoiseRates().scaled(0.0), space_as_stop=1.0)
    noisy = add_ocr_noise("GLI UOMINI DEL CUERVO", random.Random(0), only_specks)
    assert noisy.count(".") == 3 and noisy.replace(".", "").replace(" ", "") == "GLIUOMINIDELCUERVO"
