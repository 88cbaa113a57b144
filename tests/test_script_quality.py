"""Script-quality measures: the trigram model, quoted speech, and each figure of `nuvola eval script`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from agent.write.fallback import fallback_counts
from evals.script_quality import (
    Fluency,
    accent_apostrophes,
    distinct_2,
    measure,
    reference,
    repeats,
    rows,
    top_word,
)
from tools.comic_script import IssueScript
from tools.dialogue.corpus import quoted_speech
from tools.dialogue.ngram import TrigramLM, unletter

NOVEL = (
    "Il cane corre nel prato. Il gatto dorme nel prato. Il cane dorme sotto il tavolo. "
    "La donna guarda il cane e sorride. Il vecchio apre la porta della casa. "
) * 5


def test_unletter_reads_lettering_accents_but_keeps_elisions():
    assert unletter("E' TARDI, PERCHE' C'E' UN PO' DI NEBBIA") == "è tardi, perché c'è un po' di nebbia"
    assert unletter("L'INDIANO DELL'ALTRO") == "l'indiano dell'altro"


def test_trigram_model_is_normalised_and_prefers_word_order():
    lm = TrigramLM.fit([NOVEL], min_count=1)
    stream = np.array([1, lm.index["il"], lm.index["cane"]], dtype=np.uint64)
    total = sum(
        float(np.exp(lm._logprobs(np.append(stream, np.uint64(i)))[-1]))
        for i in range(len(lm.vocab))
        if i != 1
    )
    assert total == pytest.approx(1.0, abs=1e-6)
    assert lm.score("Il cane dorme nel prato.").perplexity < lm.score("prato nel dorme cane il").perplexity
    assert lm.score("Il drago vola.").unknown == 2


def test_trigram_model_round_trips(tmp_path):
    lm = TrigramLM.fit([NOVEL], min_count=1)
    lm.save(tmp_path / "lm.npz")
    again = TrigramLM.load(tmp_path / "lm.npz")
    assert again.score("Il gatto dorme.").perplexity == pytest.approx(lm.score("Il gatto dorme.").perplexity)


def test_quoted_speech_of_every_convention():
    text = (
        "Ella rispose: «Mi disprezzo!» e uscì.\n"
        "— Eccola, — diceva egli sorridendo. — Il sole tramonta...\n"
        '"Guarda, Eugenia, che bellezza!" disse.\n'
        "Nessuno parlava.\n"
    )
    assert quoted_speech(text) == [
        "Mi disprezzo!",
        "Eccola",
        "Il sole tramonta...",
        "Guarda, Eugenia, che bellezza!",
    ]


def _script(
    lines: list[str], fallbacks: list[dict[str, str]] | None = None, title: str = "LA PISTA"
) -> IssueScript:
    panels = [
        {
            "id": f"p1-t1-{i + 1}",
            "description": "Tex guarda il canyon.",
            "scene": 0,
            "balloons": [{"kind": "speech", "speaker": "Tex", "text": text}],
        }
        for i, text in enumerate(lines)
    ]
    tiers = [{"panels": panels[i : i + 3]} for i in range(0, len(panels), 3)]
    return IssueScript.model_validate(
        {
            "title": title,
            "storyline": "Tex insegue i banditi nel canyon.",
            "scenes": [{"index": 0, "title": "Canyon", "place": "IL CANYON", "goal": "Tex trova i banditi."}],
            "pages": [{"number": 1, "tiers": tiers}],
            "fallbacks": fallbacks or [],
        }
    )


def test_fallbacks_are_counted_per_part():
    script = _script(
        ["ANDIAMO!", "FERMI!", "ATTENTI!"],
        [
            {"where": "issue", "what": "title"},
            {"where": "scene 1", "what": "2 beat(s)"},
            {"where": "p1-t1-2", "what": "shot and speakers"},
            {"where": "p1-t1-3 balloon 1", "what": "Tex's line"},
        ],
    )
    counts = fallback_counts(script)
    assert counts == {"title": (1, 1), "outline": (0, 1), "beats": (2, 3), "shots": (1, 3), "lines": (1, 3)}


def test_repeats_distinct_and_lettering():
    assert repeats(["ANDIAMO, PRESTO!", "andiamo presto", "ANDIAMO, PRESTO!!", "IL FIUME È LONTANO."]) == (
        2,
        0,
    )
    assert repeats(["IL FIUME È LONTANO DA QUI.", "IL FIUME È LONTANO DA LÌ."]) == (0, 1)
    assert distinct_2(["a b a b"]) == pytest.approx(2 / 3)
    assert accent_apostrophes(["E' TARDI, PERCHE' NON È QUI", "UN PO' DI PIÙ"]) == (2, 4)


def _fluency() -> Fluency:
    lm = TrigramLM.fit([NOVEL], min_count=1)
    real = ["Il cane dorme.", "La donna sorride.", "Il vecchio apre la porta."] * 4
    return Fluency(lm, set(lm.vocab), real, "test split")


def test_rows_flag_meta_words_markup_and_repeats():
    clean = _script(["IL CANE DORME NEL PRATO.", "LA DONNA GUARDA IL CANE.", "IL VECCHIO APRE LA PORTA."])
    dirty = _script(["C'È UNA SCENA?", "<i>IL CANE</i> DORME", "C'È UNA SCENA?"], title="E' LA VIGNETTA")
    fluency = _fluency()
    ref = reference(fluency, sample=12)
    good = {r.metric: r for r in rows([measure("a", clean, fluency, None, None)], ref)}
    bad = {r.metric: r for r in rows([measure("b", dirty, fluency, None, None)], ref)}
    assert good["meta words in lettering"].ok and good["markup leaks"].ok and good["repeated lines"].ok
    assert bad["meta words in lettering"].value == 3  # SCENA twice and VIGNETTA in the title
    assert not bad["markup leaks"].ok and bad["repeated lines"].value == 1
    assert bad["accents lettered as apostrophes (E')"].value == pytest.approx(1 / 3)
    assert good["fluency: perplexity per token"].value < bad["fluency: perplexity per token"].value


def test_rows_flag_speaker_labels_and_swearing_in_balloons():
    fluency = _fluency()
    ref = reference(fluency, sample=12)
    dirty = _script(["TEX: NON POSSO.", "MA CAZZO, DOVE SEI?", "ASCOLTA: IL CANE DORME."])
    bad = {r.metric: r for r in rows([measure("b", dirty, fluency, None, None)], ref)}
    assert bad["markup leaks"].value == 1 and bad["markup leaks"].detail == "TEX:"  # ASCOLTA: is speech
    assert bad["swear words in lettering"].value == 1 and not bad["swear words in lettering"].ok
    clean = _script(["IL CANE DORME NEL PRATO.", "LA DONNA GUARDA IL CANE."])
    good = {r.metric: r for r in rows([measure("a", clean, fluency, None, None)], ref)}
    assert good["swear words in lettering"].ok and good["markup leaks"].ok


def test_one_word_everywhere_is_measured_against_consecutive_real_lines():
    assert top_word(["IL CAVALIERE!", "CHE CAVALIERI.", "IL FIUME È LARGO."]) == ("cavaliere", 2)
    assert top_word(["E NO!", "SÌ."]) == ("", 0)
    fluency = _fluency()
    ref = reference(fluency, sample=12)
    assert ref.top_word_share(3) == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert ref.top_word_share(20) is None, "too few real lines for two windows"
    worn = _script(["IL CAVALIERE DORME.", "IL CAVALIERE GUARDA.", "IL CANE APRE LA PORTA."])
    varied = _script(["IL CAVALIERE DORME.", "LA DONNA GUARDA.", "IL CANE APRE LA PORTA."])
    bad = {r.metric: r for r in rows([measure("b", worn, fluency, None, None)], ref)}
    good = {r.metric: r for r in rows([measure("a", varied, fluency, None, None)], ref)}
    row = "one word everywhere: lines with the commonest content word"
    assert bad[row].value == pytest.approx(2 / 3) and not bad[row].ok
    assert bad[row].detail == "worst: CAVALIERE in 2/3"
    assert good[row].value == pytest.approx(1 / 3) and good[row].ok


def test_plot_adherence_beats_the_shuffled_control():
    from tools.models.embeddings import HashEmbeddings

    script = _script(["TEX INSEGUE I BANDITI NEL CANYON!", "I BANDITI SONO NEL CANYON."])
    measured = measure("a", script, _fluency(), HashEmbeddings(), None)
    assert len(measured.plot_similarity) == 1
    assert measured.plot_similarity[0] > measured.control_similarity[0]


def test_eval_script_cli_on_the_real_corpus(shared_dir, tmp_path, monkeypatch):
    from cli.main import cli

    corpus = shared_dir / "corpus" / "eltec-ita"
    if not corpus.is_dir():
        pytest.skip("ELTeC corpus not present")
    monkeypatch.setenv("NUVOLA_CORPUS_DIR", str(corpus))
    path = tmp_path / "script.json"
    path.write_text(_script(["ANDIAMO, NON C'È TEMPO DA PERDERE!", "COSA TU SONO?"]).model_dump_json())
    result = CliRunner().invoke(cli, ["eval", "script", str(path), "--json", "--no-embed", "--no-voices"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    metrics = {r["metric"]: r for r in report["rows"]}
    assert metrics["fallback: lines"]["value"] == 0
    assert 50 < metrics["fluency: perplexity per token"]["reference"] < 2000
    bad = CliRunner().invoke(cli, ["eval", "script", str(shared_dir / "corpus" / "eltec-ita" / "..")])
    assert bad.exit_code != 0
    (tmp_path / "junk.json").write_text("{}")
    junk = CliRunner().invoke(cli, ["eval", "script", str(tmp_path / "junk.json")])
    assert junk.exit_code != 0 and "junk.json" in str(junk.exception)
