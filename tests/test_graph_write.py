"""The story graph end to end on a scripted fake model: state transitions, tool calls, output schema."""

from __future__ import annotations

import json

import pytest

from agent.runlog import read_run_log
from agent.runs import RunPaths
from agent.write.run import write_issue
from tests.graph_fakes import WritingResponder
from tools.comic_script import IssueScript
from tools.settings import load_settings

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
ROLES = ("narrator", "director", "voice")


@pytest.fixture
def writer(fake_llm):
    fake_llm.responder = WritingResponder()
    return fake_llm


def run(tmp_path, llm, pages=4, **kwargs):
    kwargs.setdefault("render", {"enabled": False})  # drawing is tested once, in the end-to-end test
    steps: list[str] = []
    script = write_issue(
        PLOT,
        pages,
        tmp_path / "out",
        settings=load_settings(),
        run_id="r1",
        seed=3,
        models={role: llm for role in ROLES},
        on_step=lambda node, update: steps.append(node),
        **kwargs,
    )
    return script, steps


def test_four_pages_end_to_end(tmp_path, writer):
    script, steps = run(tmp_path, writer, render={"dpi": 60})
    scenes = len(script.scenes)
    assert steps == [
        "prepare",
        "coordinator",
        "outline",
        *(["coordinator", "narrate", "coordinator", "direct", "coordinator", "voice"] * scenes),
        "coordinator",
        "deliver",
        "illustrate",
    ]
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "pages").iterdir()) == [f"page_{i:03d}.png" for i in range(1, 5)]
    assert all((out / name).stat().st_size > 0 for name in ("issue.cbz", "issue.pdf", "index.html"))
    saved = IssueScript.model_validate_json((tmp_path / "out" / "script.json").read_text())
    assert saved == script and script.run_id == "r1" and script.fallbacks == []
    assert [p.number for p in script.pages] == [1, 2, 3, 4]
    assert all(len(page.tiers) == 3 and 4 <= len(page.panels) <= 7 for page in script.pages)
    assert script.cast == ["Tex", "Kit Carson"] and script.grammar_problems() == []
    speakers = {b.speaker for p in script.panels for b in p.balloons if b.kind == "speech"}
    assert speakers and speakers <= set(script.cast)
    assert sum(s.pages != [] for s in script.scenes) == scenes and sorted(
        p for s in script.scenes for p in s.pages
    ) == [1, 2, 3, 4]
    first = script.pages[0].panels[0]
    assert first.balloons[0].kind == "caption" and first.setting == script.scenes[0].place
    markdown = (tmp_path / "out" / "script.md").read_text()
    assert "## Tavola 4" in markdown and "### Striscia 3" in markdown and "KIT CARSON:" in markdown


def test_tool_calls_are_logged_without_handles(tmp_path, writer):
    script, _ = run(tmp_path, writer, pages=2)
    events = read_run_log(RunPaths.of(load_settings(), "r1").run_log)
    tools = [e for e in events if e["kind"] == "tool"]
    names = {e["tool"] for e in tools}
    assert {"similar_scenes", "character_sheet", "layout_templates", "character_lines"} <= names
    assert all(not {"store", "profile"} & set(e["args"]) for e in tools)
    assert {e["args"]["name"] for e in tools if e["tool"] == "character_sheet"} == {"Tex", "Kit Carson"}
    layouts = [e for e in tools if e["tool"] == "layout_templates"]
    assert len(layouts) == 2 and all(e["stage"].startswith("direct:") for e in layouts)
    assert {e["stage"].split(":")[0] for e in tools if e["tool"] == "character_lines"} == {"voice"}
    llm = [e for e in events if e["kind"] == "llm"]
    assert {e["role"] for e in llm} == set(ROLES) and all(e["status"] == "ok" for e in llm)


def test_state_in_checkpoints_holds_the_run_log(tmp_path, writer):
    from agent.write.run import open_graph

    run(tmp_path, writer, pages=2)
    with open_graph(RunPaths.of(load_settings(), "r1")) as graph:
        state = graph.get_state({"configurable": {"thread_id": "r1"}})
    ends = [e["stage"] for e in state.values["run_log"] if e["kind"] == "node_end"]
    assert ends[0] == "prepare" and ends[-1] == "illustrate" and len(ends) == len(set(ends))
    assert not state.next and state.values["script"]["title"]


def test_voice_prompts_are_grounded_in_the_profile(tmp_path, writer):
    run(tmp_path, writer, pages=1)
    tex_prompts = [p for p in writer.prompts if p.rstrip().endswith("\nTEX:")]
    assert tex_prompts, "no balloon was written for Tex"
    assert "Hai due secondi per lasciar cadere quella pistola" in tex_prompts[0]  # a profile sample line
    assert "frasi brevi e secche" in tex_prompts[0]  # a speech habit
    outline_prompts = [p for p in writer.prompts if "PERSONAGGI DELLA STORIA: Tex, Kit Carson" in p]
    assert outline_prompts and PLOT in outline_prompts[0]


def test_same_seed_same_script(tmp_path, writer):
    from tools.models import get_llm

    first, _ = run(tmp_path / "a", writer, pages=2)
    again = get_llm("fake", fresh=True)
    again.responder = WritingResponder()
    second = write_issue(
        PLOT,
        2,
        tmp_path / "b",
        settings=load_settings(),
        run_id="r2",
        seed=3,
        models={role: again for role in ROLES},
    )
    assert first.model_dump(exclude={"run_id"}) == second.model_dump(exclude={"run_id"})


def test_interactive_review_reaches_the_narrator(tmp_path, writer):
    questions = []
    answers = iter(["Aggiungi un tradimento", ""])

    def ask(question):
        questions.append(question)
        return next(answers)

    script, steps = run(tmp_path, writer, pages=1, interactive=True, ask=ask)
    assert len(questions) == 2 and questions[0]["outline"] and "scaletta" in questions[0]["question"]
    assert steps.count("outline") == 2
    assert any("NOTA: Aggiungi un tradimento" in p for p in writer.prompts)
    assert len(script.pages) == 1


def test_bad_requests_fail_clearly(tmp_path, writer):
    from agent.runs import RunExistsError, RunNotFoundError
    from agent.write.coordinator import WriteRequestError

    with pytest.raises(WriteRequestError, match="storyline"):
        write_issue("Tex", 1, tmp_path, settings=load_settings(), models={r: writer for r in ROLES})
    with pytest.raises(RunNotFoundError, match="nope"):
        write_issue(None, None, None, settings=load_settings(), run_id="nope", resume=True)
    run(tmp_path, writer, pages=1)
    with pytest.raises(RunExistsError, match="r1"):
        run(tmp_path, writer, pages=1)
    request = json.loads(RunPaths.of(load_settings(), "r1").request.read_text())
    assert request["pages"] == 1 and request["storyline"] == PLOT
