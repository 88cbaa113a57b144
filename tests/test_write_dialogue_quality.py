"""Issue 16 writers: an outline block that stops before its goal is continued; meta words are banned at
decoding; the ranker treats fluency as a floor and prefers new, situated lines."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agent.specialists.narrator import outline
from agent.specialists.voice import meta_word_tokens
from agent.write.context import WriteContext
from agent.write.rerank import WEAR_WINDOW, WORN_FREE, WORN_WEIGHT, LineRanker
from tools.dialogue.ngram import TrigramLM
from tools.series.profile import load_profile as load_series_profile
from tools.settings import load_settings

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"


def test_an_outline_block_cut_before_its_goal_is_continued(fake_llm):
    fake_llm.enqueue(
        " Il guado del fiume\nTEMPO: all'alba\nPERSONAGGI: Tex, Kit Carson\nSCENA 2",  # stops before the goal
        " Tex vuole sapere dove passano i carri.\nCONFLITTO: I contrabbandieri sparano dal bosco.",
    )
    fake_llm.default = "Il carico dei fucili"
    ctx = WriteContext(
        settings=load_settings(), profile=load_series_profile("tex"), models={"narrator": fake_llm}
    )
    state = {"storyline": PLOT, "cast": ["Tex", "Kit Carson"], "pages": 1, "seed": 0}
    update = outline(state, SimpleNamespace(context=ctx))
    scene = update["outline"][0]
    assert scene["place"] == "IL GUADO DEL FIUME" and scene["time"] == "ALL'ALBA"
    assert scene["goal"] == "Tex vuole sapere dove passano i carri."
    assert scene["conflict"] == "I contrabbandieri sparano dal bosco."
    assert not [f for f in update["fallbacks"] if f["what"] == "outline scene"]
    continued = fake_llm.prompts[1]
    assert continued.endswith("PERSONAGGI: Tex, Kit Carson\nOBIETTIVO:") and "SCENA 2" not in continued[-80:]
    events = [e["what"] for e in ctx.log.drain() if e["kind"] == "llm"]
    assert "outline scene 1 (continued at OBIETTIVO)" in events


def test_the_outline_keeps_the_sampled_scene_closest_to_the_storyline(fake_llm):
    drifted = (
        " Il fiume montano\nTEMPO: al tramonto\nOBIETTIVO: Tex vuole sapere se il cavaliere ha una moglie."
    )
    on_plot = " Una cantina al confine\nTEMPO: di notte\nOBIETTIVO: Tex spia la banda dei contrabbandieri."
    other = " Il ranch\nTEMPO: all'alba\nOBIETTIVO: Kit Carson cura il cavallo ferito."
    fake_llm.enqueue(drifted, on_plot, other)
    fake_llm.default = "Il carico dei fucili"  # the title
    ctx = WriteContext(
        settings=load_settings(), profile=load_series_profile("tex"), models={"narrator": fake_llm}
    )
    state = {"storyline": PLOT, "cast": ["Tex", "Kit Carson"], "pages": 1, "seed": 0}
    scene = outline(state, SimpleNamespace(context=ctx))["outline"][0]
    assert scene["place"] == "UNA CANTINA AL CONFINE"
    assert scene["goal"] == "Tex spia la banda dei contrabbandieri."
    samples = [e for e in ctx.log.drain() if e["kind"] == "llm" and e["what"] == "outline scene 1"]
    assert len(samples) == 3, "three usable samples, then the choice"


def test_meta_words_are_banned_only_where_one_token_spells_them():
    vocab = {"scena": 1, " scena": 2, " Scena": 3, "vign": 4, "etta": 5, " scende": 6}

    def tokenize(data: bytes, add_bos: bool = False) -> list[int]:
        text = data.decode()
        if text in vocab:
            return [vocab[text]]
        return [4, 5] if "vignetta" in text.lower() else [99, 98]

    def detokenize(ids: list[int]) -> bytes:
        names = {v: k for k, v in vocab.items()}
        return "".join(names.get(i, "?") for i in ids).encode()

    assert meta_word_tokens(tokenize, detokenize) == [1, 2, 3]


def test_ranker_fluency_is_a_floor_and_new_situated_lines_win():
    lm = TrigramLM.fit(
        ["Non lo so. Il fiume è lontano. I carri passano il guado di notte. Non lo so."] * 3, 1
    )
    said = ["Non lo so."]
    ranker = LineRanker("I carri dei contrabbandieri passano il guado.", model=lm, earlier=said, floor=-6.0)
    assert (
        ranker.best(["Non lo so.", "I carri passano il guado di notte."])
        == "I carri passano il guado di notte."
    )
    assert ranker.novelty("Non lo so.") == 0.0 and ranker.novelty("Il fiume è lontano.") == 1.0
    garbled = LineRanker("Il fiume.", model=lm, floor=-1.0)
    assert (
        garbled.disfluency("Guado fiume notte carri il.") < garbled.disfluency("Il fiume è lontano.") <= 0.0
    )


def test_benchmark_runs_seed_by_seed_so_a_stopped_run_covers_every_plot():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "write_issue.py"
    spec = importlib.util.spec_from_file_location("bench_write_issue", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    codes = [("before", Path("b"), 1), ("after", Path("a"), 2)]
    plots = [("dev", "p0", 4), ("frozen", "p1", 2)]
    order = [(code, seed, plot[1]) for code, _, seed, plot in bench.run_order(codes, plots)]
    assert order == [
        ("before", 0, "p0"),
        ("after", 0, "p0"),
        ("before", 0, "p1"),
        ("after", 0, "p1"),
        ("after", 1, "p0"),
        ("after", 1, "p1"),
    ]


def test_benchmark_copies_registered_adapters_without_their_training_work(tmp_path):
    import importlib.util
    import sys
    from pathlib import Path

    import pytest

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "write_issue.py"
    spec = importlib.util.spec_from_file_location("bench_write_issue_adapters", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    source = tmp_path / "adapters"
    (source / "dialogue-tex" / "work" / "checkpoints").mkdir(parents=True)
    (source / "dialogue-tex" / "adapter.json").write_text("{}", encoding="utf-8")
    (source / "dialogue-tex" / "adapter.gguf").write_bytes(b"GGUF")
    bench.copy_adapters(source, tmp_path / "home")
    copied = tmp_path / "home" / "adapters" / "dialogue-tex"
    assert (copied / "adapter.gguf").is_file() and (copied / "adapter.json").is_file()
    assert not (copied / "work").exists()
    with pytest.raises(SystemExit, match="no registered adapter"):
        bench.copy_adapters(tmp_path / "home" / "adapters" / "dialogue-tex", tmp_path / "other")


def _scene_state() -> dict:
    def panel(number: int, speakers: list[str], description: str) -> dict:
        return {
            "id": f"p1-t1-{number}",
            "shot": "figura intera",
            "description": description,
            "figures": [],
            "plan": {"caption": None, "speakers": speakers},
        }

    page = {
        "number": 1,
        "tiers": [
            {
                "panels": [
                    panel(1, ["Tex", "Kit Carson"], "Tex trova le tracce dei carri."),
                    panel(2, ["Tex"], "I contrabbandieri caricano i fucili."),
                ]
            }
        ],
    }
    scene = {
        "place": "IL GUADO",
        "time": "ALL'ALBA",
        "cast": ["Tex", "Kit Carson"],
        "goal": "Seguire i carri.",
    }
    return {
        "storyline": PLOT,
        "cast": ["Tex", "Kit Carson"],
        "seed": 0,
        "outline": [scene],
        "current_scene": 0,
        "scene_pages": {"0": {"pages": [page]}},
    }


def test_balloon_prompt_tells_the_plot_and_puts_this_panels_lines_after_its_situation(fake_llm, monkeypatch):
    import agent.specialists.voice as voice_module
    import tools.dialogue.bank as bank

    monkeypatch.setattr(bank, "corpus_bank", lambda: None)
    monkeypatch.setattr(voice_module, "speech_model", lambda: None)
    monkeypatch.setattr(voice_module, "word_weight", lambda: None)
    answers = iter(
        [
            " Le tracce vanno verso il fiume.»",
            " Sono carri pesanti, pieni di casse.»",
            " Allora seguiamoli fino al confine.»",
            " Quei messicani ci aspettano al guado.»",
            " Fucili nuovi, e nessuno li ferma.»",
            " Li fermeremo noi prima di sera.»",
            " Il sole scotta e i cavalli hanno sete.»",
            " Dietro quella collina c'è un canyon.»",
            " Hanno lasciato un uomo di guardia.»",
            " Aspettiamo che faccia buio.»",
            " La pista gira a nord, verso le rocce.»",
            " Ho contato sei cavalieri armati.»",
        ]
    )
    fake_llm.responder = lambda prompt: next(answers)
    ctx = WriteContext(
        settings=load_settings(), profile=load_series_profile("tex"), models={"voice": fake_llm}
    )
    update = voice_module.voice(_scene_state(), SimpleNamespace(context=ctx))
    said = [
        b["text"]
        for t in update["scene_dialogue"]["0"]["pages"][0]["tiers"]
        for p in t["panels"]
        for b in p["balloons"]
    ]
    assert len(said) == 3 and not update["fallbacks"]
    carson = next(p for p in fake_llm.prompts if p.endswith("KIT CARSON:"))
    second = next(p for p in fake_llm.prompts if "I contrabbandieri caricano" in p)
    assert PLOT in carson, "the plot opens the prompt"
    tex_line = "TEX: «" + said[0][:10].capitalize()
    assert carson.index("Il guado, all'alba. Tex trova") < carson.index(tex_line), "same panel: after"
    assert second.index(tex_line) < second.index("Il guado, all'alba. I contrabbandieri"), "earlier: before"


def test_ranker_weighs_specific_situation_words_over_common_ones():
    weights = {"contrabbandieri": 8.0, "uomo": 1.0, "fucili": 6.0, "sera": 1.5}
    ranker = LineRanker(
        "Un uomo guarda i contrabbandieri al guado.", weight=lambda w: weights.get(w, 5.0), novelty_weight=0
    )
    assert ranker.fit("Quel contrabbandiere ha fucili nuovi.") > ranker.fit("Quell'uomo ha fucili nuovi.")
    assert ranker.fit("Il contrabbandiere!") == 1.0, "any ending of a situation word counts"
    assert ranker.fit("Stasera piove.") == 0.0


def test_a_situation_word_the_issue_keeps_saying_wears_out():
    situation = "Il cavaliere guida i contrabbandieri al confine."
    said = ["Il cavaliere è qui.", "Dov'è il cavaliere?", "Che cavalieri!", "Il fiume è largo."]
    fresh = LineRanker(situation, novelty_weight=0)
    worn = LineRanker(situation, novelty_weight=0, recent=said)
    assert fresh.fit("Il cavaliere arriva.") == fresh.fit("I contrabbandieri arrivano.") == 0.5
    assert worn.fit("Il cavaliere arriva.") == pytest.approx(0.5 / 4), "said in 3 recent lines, any ending"
    assert worn.fit("I contrabbandieri arrivano.") == 0.5
    assert worn.best(["Il cavaliere arriva.", "I contrabbandieri arrivano."]) == "I contrabbandieri arrivano."
    assert LineRanker(situation, recent=said, wear=0).fit("Il cavaliere arriva.") == 0.5
    old = LineRanker(situation, recent=said + ["Il sole scende."] * WEAR_WINDOW)
    assert old.fit("Il cavaliere arriva.") == 0.5, "lines older than the window are forgotten"


def test_a_line_pays_for_each_word_the_recent_lines_said_too_often():
    said = ["Il cavaliere è qui.", "Dov'è il cavaliere?", "Che cavalieri!", "Un cavaliere.", "Cavaliere!"]
    ranker = LineRanker("Il fiume.", recent=said, novelty_weight=0, content_weight=0)
    assert ranker.worn("Il cavaliere arriva.") == 5 - WORN_FREE and ranker.worn("Il fiume arriva.") == 0
    assert ranker.score("Il cavaliere arriva.") == pytest.approx(
        ranker.score("Il viandante arriva.") - WORN_WEIGHT * (5 - WORN_FREE)
    )
    assert LineRanker("Il fiume.", recent=said[:WORN_FREE]).worn("Il cavaliere arriva.") == 0


def test_min_p_and_repeat_penalty_reach_only_llama_cpp_models(fake_llm):
    from agent.specialists.voice import Decoding, llama_options

    assert "min_p" not in llama_options(fake_llm, Decoding(min_p=0.1))

    class Llama(SimpleNamespace):
        _llm_type = "llamacpp"

    assert llama_options(Llama(client=None), Decoding(min_p=0.1)) == {"min_p": 0.1, "repeat_penalty": 1.1}


def test_voice_tuning_variants_parse_and_refuse_unknown_keys():
    import importlib.util
    import sys
    from pathlib import Path

    import pytest

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "write_voices.py"
    spec = importlib.util.spec_from_file_location("bench_write_voices", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    assert bench.parse_variant("hot:temperature=1.1,candidates=4") == (
        "hot",
        {"temperature": 1.1, "candidates": 4.0},
    )
    with pytest.raises(SystemExit, match="unknown"):
        bench.parse_variant("x:temp=1")
    assert bench.parse_variant("lora:adapter=dialogue:tex,temperature=1") == (
        "lora",
        {"adapter": "dialogue:tex", "temperature": 1.0},
    )
    assert bench.parse_variant("nobank:real_lines=0") == ("nobank", {"real_lines": 0.0})
    assert bench.voice_name("llamacpp:gemma3-270m?lora=/old.gguf", "dialogue:tex") == (
        "llamacpp:gemma3-270m?adapter=dialogue:tex"
    )
    assert bench.voice_name("llamacpp:gemma3-270m", None) == "llamacpp:gemma3-270m"
