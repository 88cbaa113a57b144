"""`nuvola eval style|voices|all` on constructed write-issue runs, the judge, perplexity and the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import cli
from evals.judge import JudgeVerdict, judge
from evals.perplexity import PerplexityError, log_softmax_rows, perplexities, summarise
from tests.test_evals_metrics import styled_text
from tools.comic_script import Balloon, IssueScript, PagePlan, PanelSpec, Tier
from tools.errors import ModelLoadError

VOICES = {  # each character's habits: reference lines and generated lines share them, not the words
    "Tex": ["Fermo là, {x}!", "Hai dieci secondi per sparire, {x}.", "Nessuno scherza con la legge, {x}."],
    "Kit Carson": [
        "Per mille bisonti, {x}! Che giornata!",
        "Satanasso! Ancora {x}?",
        "Vecchio mio, {x} mi farà impazzire.",
    ],
    "Tiger Jack": [
        "Tiger vede tracce di {x}.",
        "Tiger segue {x} fino al fiume.",
        "Tiger dice: {x} è vicino.",
    ],
}
THINGS = [
    "bandito",
    "sceriffo",
    "canyon",
    "forte",
    "cavallo",
    "deserto",
    "saloon",
    "ranch",
    "colonnello",
    "miniera",
]


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def voiced_lines(offset: int, n: int) -> list[tuple[str, str]]:
    """`n` lines per character, cycling through their habits with varying words."""
    return [
        (who, ts[i % 3].format(x=THINGS[(offset + i) % len(THINGS)]))
        for who, ts in VOICES.items()
        for i in range(n)
    ]


def make_script(lines: list[tuple[str, str]], pages: int = 2) -> IssueScript:
    """A script of `pages` pages, three tiers of two panels, balloons dealt in order, a caption on each page."""
    plans, k = [], 0
    for number in range(1, pages + 1):
        tiers = []
        for t in range(3):
            panels = []
            for p in range(2):
                balloons = [Balloon(kind="caption", text="INTANTO, AL FORTE...")] if t == p == 0 else []
                for _ in range(2 if k < len(lines) else 0):
                    if k < len(lines):
                        balloons.append(Balloon(speaker=lines[k][0], text=lines[k][1].upper()))
                        k += 1
                panels.append(PanelSpec(id=f"p{number}-t{t + 1}-{p + 1}", balloons=balloons))
            tiers.append(Tier(panels=panels))
        plans.append(PagePlan(number=number, tiers=tiers))
    return IssueScript(title="Prova", storyline="Una prova.", pages=plans, cast=list(VOICES))


def write_run(home: Path, run_id: str, script: IssueScript) -> Path:
    """A run folder as write-issue leaves it: run.json naming the output folder that holds script.json."""
    out = home / "out" / run_id
    out.mkdir(parents=True)
    (out / "script.json").write_text(script.model_dump_json(), encoding="utf-8")
    run_dir = home / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "out_dir": str(out)}), encoding="utf-8")
    return run_dir


def reference_file(path: Path) -> Path:
    path.write_text("\n".join(f"{who}: {line}" for who, line in voiced_lines(5, 9)) + "\n", encoding="utf-8")
    return path


def test_eval_voices_on_a_run_with_reference_lines(isolated_home: Path, tmp_path: Path) -> None:
    run_dir = write_run(isolated_home, "20260101-000000-abcd", make_script(voiced_lines(0, 4)))
    swapped = [("Tex", t) for _, t in voiced_lines(0, 4) if not t.startswith(("Fermo", "Hai", "Nessuno"))]
    write_run(isolated_home, "20260101-000001-abcd", make_script(swapped))
    ref = reference_file(tmp_path / "lines.txt")
    result = run("eval", "voices", "--run", str(run_dir), "--reference", str(ref), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["macro_accuracy"] == 1.0 and data["chance"] == pytest.approx(1 / 3, abs=1e-3)
    assert data["per_character"]["Tex"]["lines"] == 4 and data["reference_lines"]["Kit Carson"] == 9
    assert data["confusion"]["labels"] == ["Kit Carson", "Tex", "Tiger Jack"]
    bad = json.loads(
        run("eval", "voices", "--run", "20260101-000001-abcd", "--reference", str(ref), "--json").output
    )
    assert bad["per_character"]["Tex"]["share"] == 0.0  # Tex speaking like the others does not sound like Tex


def test_eval_voices_falls_back_to_profile_lines(isolated_home: Path) -> None:
    from tools.series.profile import load_profile

    profile = load_profile("tex")
    lines = [(c.name, c.sample_lines[0]) for c in profile.characters if c.sample_lines][:4]
    lines += [("Tex", "Calma, ragazzi: chi spara per primo non vedrà l'alba.")]
    run_dir = write_run(isolated_home, "r1", make_script(lines))
    result = run("eval", "voices", "--run", str(run_dir), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["reference_source"].startswith("profile:tex")
    assert data["copied_lines"] == 4 and data["n_lines"] == 1  # copies of sample lines are not attributed
    assert any("series profile" in n for n in data["notes"])


def test_eval_style_json_with_background_baseline_and_errors(isolated_home: Path, tmp_path: Path) -> None:
    ref_dir, bg_dir = tmp_path / "ref", tmp_path / "bg"
    ref_dir.mkdir(), bg_dir.mkdir()
    (ref_dir / "series.txt").write_text(styled_text("A", 3000, 1).replace(". ", ".\n"), encoding="utf-8")
    (bg_dir / "Altro_Libro_1900.txt").write_text(styled_text("B", 3000, 2), encoding="utf-8")
    (bg_dir / "Terzo_Libro_1901.txt").write_text(styled_text("C", 3000, 3), encoding="utf-8")
    close = [("Tex", s + ".") for s in styled_text("A", 500, 4).split(". ")]
    far = [("Tex", s + ".") for s in styled_text("C", 500, 5).split(". ")]
    write_run(isolated_home, "good", make_script(close, pages=12))
    write_run(isolated_home, "base", make_script(far, pages=12))
    result = run(
        "eval",
        "style",
        "--reference",
        str(ref_dir),
        "--candidates",
        "good",
        "--background",
        str(bg_dir),
        "--baseline",
        "base",
        "--mfw",
        "50",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    good, base = data["candidates"][0], data["baseline"][0]
    assert good["style_probability"]["probability"] > 0.5 > base["style_probability"]["probability"]
    assert good["cosine_delta"] < base["cosine_delta"] and good["burrows_delta"] < base["burrows_delta"]
    assert good["style_score"]["rank"] == 1 and good["style_score"]["profiles"] == 3
    assert base["style_score"]["nearest"] == "Terzo"  # written in the third background author's style
    assert data["comparison"]["style_probability"] > 0 and data["comparison"]["style_score"] > 0
    assert data["config"]["mfw"] == 50 and data["config"]["delta_reference_chunks"] == 6
    assert set(good["format"]["measures"]) >= {"words_per_balloon", "uppercase_share"}
    assert "panels_per_page" in good["format"]["missing"]  # plain-text reference has no pages
    missing = CliRunner().invoke(
        cli, ["eval", "style", "--reference", str(tmp_path / "nope"), "--candidates", "good"]
    )
    assert missing.exit_code != 0 and "reference not found" in str(missing.exception)


def test_eval_all_writes_report_with_plots(isolated_home: Path, tmp_path: Path) -> None:
    from tests.test_evals_attribution import write_corpus

    write_run(isolated_home, "20260101-000000-abcd", make_script(voiced_lines(0, 4)))
    bg = tmp_path / "bg"
    bg.mkdir()
    for k, style in enumerate("BC"):
        (bg / f"Autore-{style}_Libro_190{k}.txt").write_text(styled_text(style, 1500, k), encoding="utf-8")
    corpus = write_corpus(tmp_path / "corpus")
    out = tmp_path / "report"
    result = run(
        "eval",
        "all",
        "--out",
        str(out),
        "--skip",
        "ocr",
        "--panel-pages",
        "1",
        "--background",
        str(bg),
        "--attribution-corpus",
        str(corpus),
        "--chunk-words",
        "500",
    )
    assert result.exit_code == 0, result.output
    md = (out / "report.md").read_text(encoding="utf-8")
    for section in ("## Style", "## Voices", "## Panels", "## Attribution", "## Configuration"):
        assert section in md
    assert "| ocr | skipped |" in md
    plots = (
        "style_scores",
        "format",
        "style_chunks",
        "voices_confusion",
        "attribution",
        "attribution_confusion",
    )
    for plot in plots:
        assert (out / "plots" / f"{plot}.png").stat().st_size > 1000 and f"plots/{plot}.png" in md
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<table>" in html and 'src="plots/voices_confusion.png"' in html
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["config"]["seed"] == 0 and data["config"]["models"]["judge"]
    suites = {s["name"]: s for s in data["suites"]}
    assert suites["panels"]["data"]["f1"] > 0.9 and suites["voices"]["data"]["reference_source"].startswith(
        "profile"
    )
    assert suites["attribution"]["data"]["accuracy"] == 1.0
    assert suites["style"]["data"]["candidates"][0]["style_score"]["profiles"] == 3


def test_judge_verdict_is_validated_and_repaired(fake_llm) -> None:  # type: ignore[no-untyped-def]
    fake_llm.enqueue(
        '{"reasoning": "troppo lungo", "style": 1.7}',
        '{"reasoning": "Tex parla da Tex.", "style": 0.8, "voices": 0.9, "format": 0.6, "overall": 0.75}',
    )
    verdict = judge(fake_llm, "Tex", ["FERMO LÀ!"], "prova", ["FERMO, BANDITO!"])
    assert isinstance(verdict, JudgeVerdict) and verdict.overall == 0.75
    assert "FERMO LÀ!" in fake_llm.prompts[0] and "invalid" in fake_llm.prompts[1]


def test_perplexity_helpers_and_unsupported_backend() -> None:
    logits = np.log(np.array([[0.5, 0.25, 0.25]]))
    assert np.exp(log_softmax_rows(logits)) == pytest.approx(np.array([[0.5, 0.25, 0.25]]))
    assert summarise([np.log(4.0)] * 3).perplexity == pytest.approx(4.0)
    with pytest.raises(PerplexityError, match="llamacpp: or hf:"):
        perplexities("fake", ["ciao"])
    with pytest.raises(ModelLoadError, match="nope.gguf"):  # the seam's LoRA option reaches the scorer
        perplexities("llamacpp:gemma3-270m?lora=/nope.gguf", ["ciao"])


@pytest.mark.real
def test_perplexity_of_italian_below_gibberish_under_packaged_gemma() -> None:
    text = "Tex e Kit Carson cavalcano verso il forte, dove il colonnello li aspetta da due giorni."
    noise = "Vqz kkar ptel, fwo snu qi dropa mlek vrat zun tok plim sgar."
    italian, gibberish = perplexities("llamacpp:gemma3-270m", [text, noise], window=32)
    assert italian.tokens > 10 and italian.perplexity < gibberish.perplexity / 3
