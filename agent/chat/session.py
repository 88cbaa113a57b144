"""A co-writing session: the story graph's thread, the user's place in it, and every move the chat can make
(start, approve, revise, rewrite, edit, undo, render), saved after each turn so `--resume` picks it up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseLLM
from rich.console import Console
from rich.text import Text

from agent.chat import editing, lookup
from agent.chat.messages import detect_language
from agent.chat.sessions import SessionMeta, SessionPaths, load_meta, new_session_id, save_meta
from agent.chat.story import Stage, StoryThread, written_pages
from agent.chat.streaming import TokenTicker, ticking
from agent.chat.transcript import Transcript
from agent.chat.view import Timer, View, flagged_panels, outline_text, page_text, pages_label, scene_text
from agent.context import open_memory
from agent.runlog import RunLog
from agent.write.context import WriteContext
from agent.write.coordinator import MAX_REVIEWS
from agent.write.state import STAGE_NAMES, pages_problem
from tools.errors import NuvolaError
from tools.series.profile import load_profile
from tools.settings import ModelRoles, Settings

Action = Callable[[Callable[[str, dict[str, Any]], None]], None]
DIFFERENT_OUTLINE = "Proponi una scaletta diversa."


class ChatSession:
    """One saved conversation about one issue."""

    def __init__(
        self,
        settings: Settings,
        paths: SessionPaths,
        meta: SessionMeta,
        console: Console,
        models: dict[str, BaseLLM] | None = None,
    ):
        self.base_settings = settings
        self.paths, self.meta = paths, meta
        self.transcript = Transcript(paths.transcript)
        self.view = View(console, self.transcript, lambda: self.meta.lang)
        self.injected = dict(models or {})
        self.log = RunLog(paths.run_log)
        self.profile = load_profile(settings.series)
        self.store = open_memory(settings, self.log)
        self.ctx = self._context()
        self.thread = StoryThread(paths, meta.head)

    # ---- opening and saving ---------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        settings: Settings,
        console: Console,
        *,
        pages: int = 1,
        seed: int = 0,
        out_dir: Path | None = None,
        lang: str = "it",
        models: dict[str, BaseLLM] | None = None,
        overrides: dict[str, str] | None = None,
    ) -> ChatSession:
        session_id = new_session_id()
        paths = SessionPaths.of(settings, session_id)
        paths.root.mkdir(parents=True)
        out = Path(out_dir).resolve() if out_dir else paths.root
        meta = SessionMeta(
            id=session_id, pages=pages, seed=seed, out_dir=str(out), lang=lang, models=dict(overrides or {})
        )
        save_meta(paths, meta)
        return cls(settings, paths, meta, console, models)

    @classmethod
    def open(
        cls,
        settings: Settings,
        session_id: str,
        console: Console,
        *,
        models: dict[str, BaseLLM] | None = None,
        overrides: dict[str, str] | None = None,
    ) -> ChatSession:
        paths = SessionPaths.of(settings, session_id)
        meta = load_meta(paths)
        meta.models.update(overrides or {})
        return cls(settings, paths, meta, console, models)

    @property
    def settings(self) -> Settings:
        """The base settings with this session's /model choices on top."""
        if not self.meta.models:
            return self.base_settings
        roles = ModelRoles(**{**self.base_settings.models.model_dump(), **self.meta.models})
        return self.base_settings.model_copy(update={"models": roles})

    def _context(self) -> WriteContext:
        return WriteContext(
            settings=self.settings,
            profile=self.profile,
            store=self.store,
            log=self.log,
            interactive=True,
            models=dict(self.injected),
        )

    def close(self) -> None:
        self.save()
        self.thread.close()

    def save(self) -> None:
        """Record where the user stands (head checkpoint, stage, title) in session.json."""
        values, stage = self.thread.values, self.thread.stage()
        self.meta.head = self.thread.head
        self.meta.title = str(values.get("title", self.meta.title))
        self.meta.storyline = str(values.get("storyline", self.meta.storyline))
        self.meta.written_pages = len(written_pages(values))
        self.meta.stage = stage_label(stage)
        save_meta(self.paths, self.meta)

    def hear(self, text: str) -> None:
        """Record a user turn and follow the language it is written in."""
        self.view.user(text)
        if not text.startswith("/"):
            self.meta.lang = detect_language(text, self.meta.lang)

    # ---- running the graph ----------------------------------------------------------------------
    def stage(self) -> Stage:
        return self.thread.stage()

    @contextmanager
    def working(self) -> Iterator[Callable[[str, dict[str, Any]], None]]:
        """A status line with the tokens being generated, and a progress line per finished node."""
        timer = Timer()
        with self.view.console.status(self.step_label(), spinner="dots") as status:
            ticker = TokenTicker(lambda text: status.update(text), self.step_label)

            def on_step(node: str, update: dict[str, Any]) -> None:
                if node != "coordinator":
                    self.view.step(self.step_label(node, update), timer.lap())

            with ticking(ticker):
                yield on_step

    def step_label(self, node: str | None = None, update: dict[str, Any] | None = None) -> str:
        """`narratore: scaletta`, `voci: balloon · scena 2` for a node (default: the one running now)."""
        stage = self.log.stage if node is None else node
        name, _, scene = stage.partition(":")
        name = name.split("#")[0] or "prepare"
        for key in ("scene_beats", "scene_pages", "scene_dialogue"):
            if update and update.get(key):
                scene = next(iter(update[key]))
        label = self.view.text(f"step_{name}") if f"step_{name}" in STEP_NAMES else name
        return label + (f" · {self.view.text('scene_word')} {int(scene) + 1}" if scene.isdigit() else "")

    def act(self, action: Action, undo_label: str) -> bool:
        """Run `action` on the graph; the head it leaves can be undone. Ctrl-C stops it and keeps what
        finished; a Nuvola error is told to the user. True when it ran to its stop."""
        before = self.thread.head
        try:
            with self.working() as on_step:
                action(on_step)
            return True
        except KeyboardInterrupt:
            self.view.say("stopped", style="yellow")
            return False
        except NuvolaError as exc:
            self.view.say("error", style="red", error=str(exc))
            return False
        finally:
            if self.thread.head != before and before is not None:
                self.meta.undo.append(before)
                self.meta.undo_labels.append(undo_label)
            self.save()

    # ---- the story ------------------------------------------------------------------------------
    def start_story(self, storyline: str, pages: int | None) -> None:
        pages = pages or self.meta.pages
        if problem := pages_problem(pages):
            self.view.say("error", style="red", error=problem)
            return
        self.meta.pages = pages
        request = {
            "storyline": storyline,
            "pages": pages,
            "seed": self.meta.seed,
            "out_dir": self.meta.out_dir,
            "cast": [],
            "constraints": [],
        }
        self.view.say("story_start", storyline=storyline, pages=pages, seed=self.meta.seed)
        if self.act(lambda on_step: self.thread.start(request, self.ctx, on_step), "story"):
            self.show_stage()

    def approve(self, to_end: bool = False) -> None:
        """ "ok": approve the outline, or go on to the next scene (to_end: to the delivery)."""
        stage = self.stage()
        if stage.kind == "new":
            self.view.say("needs_story")
        elif stage.kind == "done":
            self.view.say("already_done")
        elif stage.kind == "outline":
            what = self.view.text("edit_outline_what")
            if self.act(lambda on_step: self._answer("ok", on_step, pause=not to_end), what):
                self.show_stage()
        elif self.act(
            lambda on_step: self.thread.advance(self.ctx, to_end=to_end, on_step=on_step),
            self._scene_label(stage),
        ):
            self.show_stage()

    def _answer(self, text: str, on_step: Callable[[str, dict[str, Any]], None], pause: bool = True) -> None:
        self.thread.answer(text, self.ctx, pause=pause, on_step=on_step)

    def _scene_label(self, stage: Stage) -> str:
        scene = stage.written[-1] + 1 if stage.written else 1
        return f"{self.view.text('scene_word')} {scene}"

    def revise_outline(self, note: str) -> None:
        """A note for the narrator: the coordinator's question answered with it (the graph rewrites)."""
        reviews = int(self.thread.values.get("outline_reviews", 0))
        if reviews >= MAX_REVIEWS:
            self.view.say("outline_limit", style="yellow", reviews=reviews)
            return
        self.view.say("outline_note")
        if self.act(lambda on_step: self._answer(note, on_step), self.view.text("edit_outline_what")):
            self.show_stage()

    def set_pages(self, pages: int) -> None:
        """`4 pagine`: remembered for the story to come, or the outline written again at that length."""
        stage = self.stage()
        if problem := pages_problem(pages):
            self.view.say("error", style="red", error=problem)
        elif stage.kind == "new":
            self.meta.pages = pages
            self.view.say("needs_story")
        elif stage.kind != "outline" or stage.written:
            self.view.say("pages_later")
        else:
            self.meta.pages = pages
            self.view.say("pages_changed", pages=pages)

            def rewrite(on_step: Callable[[str, dict[str, Any]], None]) -> None:
                self.thread.set_pages(pages, self.ctx, on_step)

            if self.act(rewrite, self.view.text("edit_outline_what")):
                self.show_stage()

    def focused_scene(self, stage: Stage) -> int | None:
        """The scene the user is looking at (/scene, /page), else the last one written."""
        kind, _, number = self.meta.focus.partition(":")
        values = self.thread.values
        if kind == "scene" and number.isdigit():
            return int(number) - 1
        if kind == "page" and number.isdigit():
            for scene in values.get("outline") or []:
                if int(number) in scene.get("pages", []):
                    return int(scene["index"])
        return stage.written[-1] if stage.written else None

    def rewrite(self, note: str, dialogue_only: bool) -> None:
        """Write a scene again (or only its lines), forking from the checkpoint before it; with a new seed
        so the model says something else, and the note (if any) added to the writers' notes."""
        stage = self.stage()
        if stage.kind == "outline":
            self.revise_outline(note or DIFFERENT_OUTLINE)
            return
        scene = self.focused_scene(stage)
        if stage.kind == "new" or scene is None or scene not in stage.written:
            self.view.say("needs_story" if stage.kind == "new" else "stopped_hint")
            return
        values = self.thread.values
        seed = int(values.get("seed", 0)) + 1
        changes: dict[str, Any]
        if dialogue_only:
            self.view.say("rewrite_dialogue", scene=scene + 1)
            move, changes = self.thread.rewrite_dialogue, {"seed": seed}
        else:
            with_note = self.view.text("with_note", note=note) if note else ""
            self.view.say("rewrite_scene", scene=scene + 1, note=with_note)
            constraints = [*values.get("constraints", []), *([note] if note else [])]
            move, changes = self.thread.rewrite_scene, {"seed": seed, "constraints": constraints}

        def again(on_step: Callable[[str, dict[str, Any]], None]) -> None:
            move(scene, changes, self.ctx, on_step)

        self.meta.focus = f"scene:{scene + 1}"
        if self.act(again, f"{self.view.text('scene_word')} {scene + 1}"):
            self.show_stage()

    def undo(self) -> None:
        if not self.meta.undo:
            self.view.say("undo_empty")
            return
        target, label = self.meta.undo.pop(), self.meta.undo_labels.pop()
        try:
            with self.working() as on_step:
                self.thread.restore(target, self.ctx, on_step)
        except KeyboardInterrupt:
            self.view.say("stopped", style="yellow")
        self.save()
        self.view.say("undo_done", what=label)
        self.show_stage()

    # ---- showing --------------------------------------------------------------------------------
    def show_stage(self) -> None:
        """What the user needs to see now: the outline and its question, the scene just written, the end."""
        stage, values = self.stage(), self.thread.values
        if stage.kind == "outline":
            self.meta.focus = "outline"
            self.view.show(outline_text(values), kind="outline")
            if self.meta.lang == "it" and stage.question.get("question"):
                self.view.show(Text(str(stage.question["question"]), style="bold"), kind="question")
            self.view.say("outline_question", style="dim", pages_hint=_pages_hint(self.meta.lang))
        elif stage.kind == "scene":
            index = stage.written[-1]
            scene = values["outline"][index]
            self.meta.focus = f"scene:{index + 1}"
            for page in values["scene_dialogue"][str(index)]["pages"]:
                self.view.show(page_text(page, flagged_panels(values)), kind="page")
            key = "last_scene_done" if stage.next_step == "deliver" else "scene_done"
            self.view.say(
                key, style="dim", scene=index + 1, scenes=stage.scenes, pages=pages_label(scene["pages"])
            )
        elif stage.kind == "done":
            drawn = values.get("rendered") or {}
            comic = self.view.text("finished_comic", cbz=drawn["cbz"], html=drawn["html"]) if drawn else ""
            self.view.say(
                "finished", style="green", markdown=str(Path(self.meta.out_dir) / "script.md"), comic=comic
            )
        elif stage.kind == "stopped":
            self.view.say("stopped_hint", style="yellow")
        else:
            self.view.say("needs_story")

    def show_outline(self) -> None:
        values = self.thread.values
        if not values.get("outline"):
            self.view.say("no_outline")
            return
        self.meta.focus = "outline"
        self.view.show(outline_text(values), kind="outline")

    def show_scene(self, number: int) -> None:
        values = self.thread.values
        outline = values.get("outline") or []
        if not 1 <= number <= len(outline):
            self.view.say("no_scene" if outline else "no_outline", number=number, count=len(outline))
            return
        self.meta.focus = f"scene:{number}"
        self.view.show(scene_text(values, number - 1, self.view.text("scene_not_written")), kind="scene")

    def show_page(self, number: int) -> None:
        values = self.thread.values
        pages = written_pages(values)
        page = next((p for p in pages if p["number"] == number), None)
        if page is None:
            ready = ", ".join(str(p["number"]) for p in pages) or self.view.text("nothing_written")
            self.view.say("no_page", number=number, ready=ready)
            return
        self.meta.focus = f"page:{number}"
        self.view.show(page_text(page, flagged_panels(values)), kind="page")

    # ---- answers from memory --------------------------------------------------------------------
    def about(self, subject: str) -> None:
        self.view.show(lookup.about(self.store, self.profile, subject, self.meta.lang), kind="lookup")

    def speaks(self, subject: str) -> None:
        self.view.show(lookup.speaks(self.store, self.profile, subject, self.meta.lang), kind="lookup")

    # ---- edits ----------------------------------------------------------------------------------
    def edit(self, open_editor: Callable[[str], str | None]) -> None:
        """Open the focused item (outline, scene or page) in the editor; check and apply the result."""
        stage, values = self.stage(), self.thread.values
        kind, _, number = self.meta.focus.partition(":")
        if not values.get("outline"):
            self.view.say("edit_nothing")
        elif kind == "outline" or (kind == "scene" and int(number) - 1 not in stage.written):
            self._edit_outline(stage, values, open_editor)
        else:
            pages = self._focused_pages(values, kind, int(number))
            if pages:
                self._edit_pages(stage, values, pages, open_editor)
            else:
                self.view.say("edit_nothing")

    def _draft(self, key: str) -> Path:
        return self.paths.root / f"draft-{key.replace(':', '-')}.txt"

    def _editor_text(self, key: str, text: str, open_editor: Callable[[str], str | None]) -> str | None:
        """The edited text (None when unchanged); a draft left by a rejected edit is reopened first."""
        draft = self._draft(key)
        start = draft.read_text(encoding="utf-8") if draft.is_file() else text
        edited = open_editor(start)
        if edited is None or edited.strip() == text.strip():
            self.view.say("edit_unchanged")
            return None
        return edited

    def _rejected(self, key: str, edited: str, exc: editing.EditError) -> None:
        from tools.atomic import write_text_atomic

        write_text_atomic(self._draft(key), edited)
        self.view.say("edit_invalid", style="red", problems="\n  - " + "\n  - ".join(exc.problems))

    def _edit_outline(
        self, stage: Stage, values: dict[str, Any], open_editor: Callable[[str], str | None]
    ) -> None:
        if stage.kind != "outline":
            self.view.say("edit_outline_locked")
            return
        text = editing.outline_to_text(values.get("title", ""), values["outline"])
        edited = self._editor_text("outline", text, open_editor)
        if edited is None:
            return
        try:
            title, outline = editing.text_to_outline(edited, self.profile)
        except editing.EditError as exc:
            self._rejected("outline", edited, exc)
            return
        self._draft("outline").unlink(missing_ok=True)
        cast = list(dict.fromkeys([*values.get("cast", []), *(n for s in outline for n in s["cast"])]))
        pages = sum(len(s["pages"]) for s in outline)
        self.meta.pages = pages

        def apply(on_step: Callable[[str, dict[str, Any]], None]) -> None:
            edited = {"title": title, "outline": outline, "cast": cast, "pages": pages}
            self.thread.edit_outline(edited, self.ctx, on_step)

        what = self.view.text("edit_outline_what")
        if self.act(apply, what):
            self.view.say("edit_saved", style="green", what=what)
            self.show_stage()

    def _focused_pages(self, values: dict[str, Any], kind: str, number: int) -> list[dict[str, Any]]:
        pages = written_pages(values)
        if kind == "page":
            return [p for p in pages if p["number"] == number]
        scene = values["outline"][number - 1]
        return [p for p in pages if p["number"] in scene["pages"]]

    def _edit_pages(
        self,
        stage: Stage,
        values: dict[str, Any],
        pages: list[dict[str, Any]],
        open_editor: Callable[[str], str | None],
    ) -> None:
        key = self.meta.focus
        text = "\n".join(editing.page_to_text(page) for page in pages)
        edited = self._editor_text(key, text, open_editor)
        if edited is None:
            return
        try:
            new_pages = editing.text_to_pages(edited, pages, values.get("cast", []), self.profile)
        except editing.EditError as exc:
            self._rejected(key, edited, exc)
            return
        self._draft(key).unlink(missing_ok=True)
        update = _dialogue_update(values, new_pages)
        label = ", ".join(self.view.text("edit_page_what", number=p["number"]) for p in new_pages)

        def apply(on_step: Callable[[str, dict[str, Any]], None]) -> None:
            self.thread.edit_dialogue(update, self.ctx, on_step)

        if self.act(apply, label):
            self.view.say("edit_saved", style="green", what=label)
            for page in new_pages:
                self.view.show(page_text(page, flagged_panels(self.thread.values)), kind="page")

    # ---- models ---------------------------------------------------------------------------------
    def set_model(self, role: str, name: str) -> None:
        """Use model `name` for `role` from now on in this session (checked by name; loaded on use)."""
        from tools.models.spec import parse_model_name

        role = role.replace("-", "_")
        known = self.base_settings.models.roles()
        roles_hint = self.view.text("model_roles", roles=", ".join(known))
        if role not in known and not role.startswith("voice_"):
            self.view.say("model_bad_role", style="red", role=role, roles=roles_hint)
            return
        if role not in ("embedder", "ocr", "artist"):
            try:
                parse_model_name(name)
            except NuvolaError as exc:
                self.view.say("error", style="red", error=str(exc))
                return
        self.meta.models[role] = name
        self.injected.pop(role, None)
        self.ctx = self._context()
        self.save()
        self.view.say("model_set", role=role, name=name)


STEP_NAMES = {f"step_{node}" for node in STAGE_NAMES}


def _pages_hint(lang: str) -> str:
    return "4 pagine" if lang == "it" else "4 pages"


def _dialogue_update(values: dict[str, Any], new_pages: list[dict[str, Any]]) -> dict[str, Any]:
    """The scene_dialogue entries holding the edited pages, with those pages replaced."""
    by_number = {p["number"]: p for p in new_pages}
    update = {}
    for key, scene in (values.get("scene_dialogue") or {}).items():
        if any(p["number"] in by_number for p in scene["pages"]):
            update[key] = {"pages": [by_number.get(p["number"], p) for p in scene["pages"]]}
    return update


def stage_label(stage: Stage) -> str:
    """A short word for --list: new, outline, scene 2/3, stopped, done."""
    if stage.kind == "scene":
        return f"scene {len(stage.written)}/{stage.scenes}"
    return stage.kind


def session_title(meta: SessionMeta) -> str:
    return meta.title or (meta.storyline[:60] + ("…" if len(meta.storyline) > 60 else "")) or "—"
