"""Beats become drawable actions: who is in a panel, each figure's pose and facing, props, and the time of day.

    action = parse_beat("Tex spara al bandito, che cade", cast=["Tex"])
    action.figures  -> [FigureAction(Tex, shoot, target=bandito), FigureAction(bandito, fall)]
    action.props    -> ["revolver"];  action.time -> None (the panel's own time stays)

The rules are data (tools/render/beats.yaml): Italian word stems for poses, props, times, extras and groups.
A beat is read left to right as a sequence of mentions (people and verbs): a verb's subject is the people named
just before it (not after a preposition), or those of the previous verb, or, after "che", its object; its
object takes the verb's `patient` pose ("lo stende" -> fall). An optional model step (any completion model
behind the model seam) is asked, in a few-shot line format, only about beats where the rules found no verb.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from tools.errors import InputFileError, NuvolaError

RULES_FILE = Path(__file__).with_name("beats.yaml")
ACTION_POSES = {"walk", "run", "ride", "aim", "shoot", "punch", "fall", "lie", "sit", "crouch", "point"}
PREPOSITIONS = re.compile(
    r"(?:^|\s)(?:a|al|alla|allo|ai|agli|alle|contro|verso|con|col|da|dal|dalla|dai|di|del|della|dello|dei|degli|"
    r"sul|sulla|sui|per|tra|fra|in|nel|nella|accanto al|vicino al|dietro il|dietro al)\s+(?:(?:il|lo|la|i|gli|le|"
    r"un|uno|una|l'|suo|sua|vecchio|giovane|due|tre)\s*)*$"
)
NUMBERS = {
    "due": 2,
    "tre": 3,
    "quattro": 4,
    "cinque": 5,
    "sei": 6,
    "alcuni": 3,
    "alcune": 3,
    "molti": 4,
    "folla": 5,
    "banda": 3,
    "pattuglia": 3,
    "carovana": 2,
}


def fold(text: str) -> str:
    """Lower case without accents, typographic apostrophes made plain, spaces collapsed."""
    plain = unicodedata.normalize("NFKD", text.replace("’", "'").replace("`", "'"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


@dataclass
class FigureAction:
    """One figure of a panel: a cast name or an extra's role, what it does, and at whom."""

    name: str
    pose: str = "stand"
    role: str | None = None  # extras: "bandito", "soldato"...; None for named characters
    count: int = 1
    mounted: bool = False
    target: str | None = None  # the figure it aims at, hits, talks to or points at (sets its facing)
    mentioned: bool = False  # named by the beat (not only listed in the panel's figures)
    weak: bool = False  # the pose came from a talking verb (an action verb may replace it)
    armed: bool = False  # aims or shoots with a gun (not a bow)
    if_armed: str | None = None  # the pose it takes when the beat names a gun ("minaccia ... con la pistola")


@dataclass
class BeatAction:
    """Everything drawable a beat says: figures, props, time of day (None: not said) and place words."""

    figures: list[FigureAction] = field(default_factory=list)
    props: list[str] = field(default_factory=list)
    time: str | None = None
    setting: str | None = (
        None  # the kind of place the beat itself names (saloon -> interior, canyon -> desert)
    )
    verbs: int = 0  # pose-giving verbs the rules found
    source: str = "rules"

    def figure(self, name: str) -> FigureAction | None:
        return next((f for f in self.figures if f.name.lower() == name.lower()), None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Mention:
    """A span of the folded beat: a person (`who` names) or a verb (`rule`)."""

    start: int
    end: int
    kind: str  # "who" | "verb"
    who: tuple[str, ...] = ()
    rule: dict[str, Any] | None = None


@dataclass
class BeatRules:
    """The compiled rules of beats.yaml."""

    poses: list[str]
    props: list[str]
    times: dict[str, list[re.Pattern[str]]]
    prop_words: dict[str, list[re.Pattern[str]]]
    extras: dict[str, dict[str, Any]]
    groups: list[re.Pattern[str]]
    verbs: list[tuple[re.Pattern[str], dict[str, Any]]]
    default_weapon: str
    not_a_gun: list[re.Pattern[str]]

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> BeatRules:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InputFileError(path, f"cannot read the beat rules ({exc})") from exc
        return cls.from_data(data, path)

    @classmethod
    def from_data(cls, data: dict[str, Any], path: Path = RULES_FILE) -> BeatRules:
        try:
            poses, props = list(data["poses"]), list(data["props"])
            verbs = []
            modifiers = [{**rule, "modifier": True} for rule in data.get("modifiers", [])]
            for rule in [*data["verbs"], *modifiers]:
                if rule["pose"] not in (*poses, "ride_or_run"):
                    raise ValueError(f"verb rule with unknown pose {rule['pose']!r}")
                verbs += [(_word(w), rule) for w in rule["words"]]
            extras = {
                key: {
                    "role": spec.get("role", key),
                    "pose": spec.get("pose"),
                    "weapon": spec.get("weapon"),
                    "words": [_word(w) for w in spec["words"]],
                }
                for key, spec in data["extras"].items()
            }
            return cls(
                poses=poses,
                props=props,
                times={k: [_word(w) for w in v] for k, v in data["times"].items()},
                prop_words={k: [_word(w) for w in v] for k, v in data["props_words"].items()},
                extras=extras,
                groups=[_word(w) for w in data["groups"]],
                verbs=verbs,
                default_weapon=data["default_weapon"],
                not_a_gun=[_word(w) for w in data["not_a_gun"]],
            )
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise InputFileError(path, f"bad beat rules: {exc}") from exc


def _word(pattern: str) -> re.Pattern[str]:
    """A rule pattern anchored at a word start (unless it already starts with \\b or a group)."""
    return re.compile(pattern if pattern.startswith("\\b") else rf"(?<![a-z]){pattern}")


@lru_cache(maxsize=1)
def default_rules() -> BeatRules:
    return BeatRules.load()


def _name_patterns(cast: Iterable[str], profile: Any) -> list[tuple[re.Pattern[str], str]]:
    """(pattern, canonical name) for every cast name, its profile aliases and its last word ("Carson")."""
    names: dict[str, str] = {}
    characters = list(getattr(profile, "characters", None) or [])
    for character in characters:
        for alias in [character.name, *character.aliases]:
            names.setdefault(fold(alias), character.name)
    for name in cast:
        canonical = _canonical(name, profile)
        names[fold(name)] = canonical
        words = fold(canonical).split()
        if len(words) > 1:
            for word in words:
                if len(word) > 2 and not any(
                    word in fold(c).split() for c in cast if _canonical(c, profile) != canonical
                ):
                    names[word] = canonical  # "Kit" is Kit Willer only when no other cast member is a Kit
    return [
        (re.compile(rf"(?<![a-z']){re.escape(k)}(?![a-z])"), v)
        for k, v in sorted(names.items(), key=lambda kv: -len(kv[0]))
        if k
    ]


def _canonical(name: str, profile: Any) -> str:
    find = getattr(profile, "find", None)
    found = find(name) if find is not None else None
    return str(getattr(found, "name", None) or name)


class BeatParser:
    """Parses beats with a rule set; `model` (a completion LLM) is consulted where no rule found a verb."""

    def __init__(self, rules: BeatRules | None = None, profile: Any = None, model: Any = None):
        self.rules, self.profile, self.model = rules or default_rules(), profile, model

    def role_of(self, name: str) -> str | None:
        """The extras role a figure name stands for ("bandito 2", "Un messicano" -> role), or None."""
        folded = fold(name)
        if self.profile is not None and getattr(self.profile, "find", None) and self.profile.find(name):
            return None
        for spec in self.rules.extras.values():  # a plan may name an extra with or without its article
            if any(p.search(folded) or p.search(f"un {folded}") for p in spec["words"]):
                return spec["role"]
        return None

    def parse(self, text: str, cast: Iterable[str] = ()) -> BeatAction:
        """The drawable action of one beat; `cast` are the figures the panel's plan already lists."""
        cast = [c for c in cast if c]
        folded = fold(text)
        action = BeatAction(time=self._time(folded), setting=place_named(text))
        figures = self._cast_figures(cast)
        mentions = self._mentions(folded, [c for c in cast if self.role_of(c) is None])
        self._assign(folded, mentions, figures, action)
        action.figures = list(figures.values())
        action.props = self._props(folded, action)
        for fig in action.figures:
            fig.mounted = fig.pose == "ride" or (fig.mounted and fig.pose not in ("fall", "lie"))
        self._targets(action)
        if self.model is not None and action.verbs == 0 and action.figures:
            refine_with_model(action, text, self.model, self.rules.poses)
        return action

    def _cast_figures(self, cast: list[str]) -> dict[str, FigureAction]:
        figures: dict[str, FigureAction] = {}
        for name in cast:
            role = self.role_of(name)
            key = role or _canonical(name, self.profile)
            if key in figures:
                figures[key].count += 1
            else:
                figures[key] = FigureAction(name=key, role=role)
        return figures

    def _time(self, folded: str) -> str | None:
        for time, patterns in self.rules.times.items():
            if any(p.search(folded) for p in patterns):
                return time
        return None

    def _mentions(self, folded: str, cast: list[str]) -> list[Mention]:
        """People and verbs in the beat, longest match first where they overlap, in reading order."""
        found: list[Mention] = []
        for pattern, name in _name_patterns(cast, self.profile):
            found += [Mention(m.start(), m.end(), "who", (name,)) for m in pattern.finditer(folded)]
        for pattern in self.rules.groups:
            named = tuple(_canonical(c, self.profile) for c in cast)
            found += [Mention(m.start(), m.end(), "who", named) for m in pattern.finditer(folded) if named]
        for key, spec in self.rules.extras.items():
            for pattern in spec["words"]:
                found += [Mention(m.start(), m.end(), "who", (f"@{key}",)) for m in pattern.finditer(folded)]
        for pattern, rule in self.rules.verbs:
            found += [Mention(m.start(), m.end(), "verb", rule=rule) for m in pattern.finditer(folded)]
        chosen: list[Mention] = []
        for mention in sorted(found, key=lambda m: (-(m.end - m.start), m.start)):
            if all(mention.end <= c.start or mention.start >= c.end for c in chosen):
                chosen.append(mention)
        return sorted(chosen, key=lambda m: m.start)

    def _who(self, token: str, figures: dict[str, FigureAction], folded: str, at: int) -> FigureAction:
        """The figure a mention stands for, added to the panel when the plan did not list it."""
        if token.startswith("@"):
            spec = self.rules.extras[token[1:]]
            role = spec["role"]
            if role not in figures:
                figures[role] = FigureAction(name=role, role=role, count=_count(folded, at))
            fig = figures[role]
            fig.count = max(fig.count, _count(folded, at))
            if spec["pose"] and not fig.mentioned and fig.pose == "stand":
                fig.pose = spec["pose"]
        else:
            fig = figures.setdefault(token, FigureAction(name=token))
        fig.mentioned = True
        return fig

    def _assign(
        self, folded: str, mentions: list[Mention], figures: dict[str, FigureAction], action: BeatAction
    ) -> None:
        """Walk the mentions: subjects take their verb's pose, objects its patient pose."""
        pending: list[
            tuple[FigureAction, bool]
        ] = []  # people since the last verb, and whether after a preposition
        subject: list[FigureAction] = []
        objects: list[FigureAction] = []
        last_rule: dict[str, Any] | None = None
        last_end = 0
        for index, mention in enumerate(mentions):
            before = folded[last_end : mention.start]
            if mention.kind == "who":
                people = [self._who(t, figures, folded, mention.start) for t in mention.who]
                joined = pending_joined(before)
                governed = not joined and (
                    bool(PREPOSITIONS.search(folded[: mention.start])) or bool(pending)
                )
                if joined and pending:
                    governed = pending[-1][1]
                pending += [(p, governed) for p in people]
                if (
                    last_rule is not None
                    and last_rule["pose"] in ("walk", "run", "ride")
                    and re.search(
                        r"\b(?:con|insieme a|assieme a)\s+(?:(?:il|lo|la|i|gli|le|un|uno|una|suo|sua|l')\s*)*$",
                        folded[: mention.start],
                    )
                ):
                    for person in people:  # "cavalcano con il prigioniero": companions go the same way
                        person.pose, person.mounted = last_rule["pose"], last_rule["pose"] == "ride"
                if last_rule is not None:
                    objects = (
                        [*objects, *people] if not re.search(r"[,;.]|\bche\b|\bmentre\b", before) else people
                    )
                    if last_rule.get("patient") and not re.search(r"[,;.]|\bche\b|\bmentre\b", before):
                        self._patient(people, _patient(last_rule, subject))
                last_end = mention.end
                continue
            rule = mention.rule or {}
            action.verbs += 1
            free = [p for p, governed in pending if not governed]
            if rule.get("modifier"):
                doers = subject or free
                if rule["pose"] == "ride":  # "spara dalla sella": still shooting, now on horseback
                    for doer in doers:
                        doer.mounted = True
                    doers = [
                        d for d in doers if d.pose not in ("aim", "shoot", "point", "talk", "punch", "fall")
                    ]
                self._pose(doers, rule["pose"], weak=False)
                if last_rule and last_rule.get("patient") == "same":
                    self._patient([o for o in objects if o not in doers], rule["pose"])
                last_end = mention.end
                continue
            agent_after = self._agent_after(folded, mention, mentions[index + 1 :], figures)
            agent_after = agent_after or self._inverted(
                folded, before, mention, mentions[index + 1 :], figures
            )
            if agent_after:
                doers = agent_after
            elif free:
                doers = free
            elif re.search(r"\bche\b", before) and objects:
                doers = objects
            else:
                doers = subject
            quarry = [o for o in objects or [p for p, governed in pending if governed] if o not in doers]
            quarry = quarry or [s for s in subject if s not in doers]  # "X attacca Y e Y lo stende": lo = X
            pronoun = re.search(r"\b(?:lo|la|li|le)\s*$", before) or re.match(
                r"(?:lo|la|li|le)\s", folded[mention.start :]
            )
            if pronoun and rule.get("patient") and quarry:
                self._patient([o for o in quarry if o not in doers], _patient(rule, doers))
            pose = rule["pose"]
            if pose == "ride_or_run":
                pose = "ride" if _has_horse(folded, self.rules) and "a piedi" not in folded else "run"
            self._pose(doers, pose, weak=bool(rule.get("weak")))
            for doer in doers:
                doer.armed = bool(rule.get("weapon")) if pose in ("aim", "shoot", "run") else doer.armed
                doer.if_armed = rule.get("armed_pose") or doer.if_armed
            subject, objects, pending, last_rule, last_end = (
                doers,
                [],
                [],
                {**rule, "pose": pose},
                mention.end,
            )

    def _agent_after(
        self, folded: str, verb: Mention, rest: list[Mention], figures: dict[str, FigureAction]
    ) -> list[FigureAction]:
        """'inseguiti da Tex': a participle followed by `da` and a person has that person as its agent."""
        tail = folded[verb.end :]
        if not re.match(r"\w*\s+da\s", tail) or not rest or rest[0].kind != "who":
            return []
        if not re.search(r"(?:it|at|ut)[oaie]\b", folded[verb.start : verb.end + 4]):
            return []
        return [self._who(t, figures, folded, rest[0].start) for t in rest[0].who]

    def _inverted(
        self, folded: str, before: str, verb: Mention, rest: list[Mention], figures: dict[str, FigureAction]
    ) -> list[FigureAction]:
        """'dove li aspetta Tex': after a clitic pronoun, a person right after the verb is its subject."""
        if not re.search(r"\b(?:li|lo|la|le|gli|ci)\s*$", before) or not rest or rest[0].kind != "who":
            return []
        if folded[verb.end : rest[0].start].strip():
            return []
        return [self._who(t, figures, folded, rest[0].start) for t in rest[0].who]

    @staticmethod
    def _patient(people: list[FigureAction], pose: str) -> None:
        """An object takes the verb's patient pose unless it already does something stronger (lying stays)."""
        for person in people:
            if pose in ("fall", "lie") or person.pose in ("stand", "talk", "walk", "run") or person.weak:
                person.pose, person.weak = pose, False

    @staticmethod
    def _pose(people: list[FigureAction], pose: str, weak: bool) -> None:
        for person in people:
            if weak and person.pose in ACTION_POSES and not person.weak:
                continue  # talking never replaces an action
            person.pose, person.weak = pose, weak

    def _props(self, folded: str, action: BeatAction) -> list[str]:
        props = [
            name
            for name, patterns in self.rules.prop_words.items()
            if any(p.search(folded) for p in patterns)
        ]
        if (
            "campfire" in props
            and re.search(r"(?:fa|fanno|apre|aprono|risponde|rispondono) (?:il |al )?fuoco", folded)
            and not re.search(
                r"(?:accanto|attorno|vicino|davanti|"
                r"intorno|presso) al fuoco|bivacc",
                folded,
            )
        ):
            props.remove("campfire")
        named_gun = bool({"rifle", "revolver"} & set(props))
        for fig in action.figures:
            if fig.if_armed and named_gun and fig.weak:
                fig.pose, fig.armed, fig.weak = fig.if_armed, True, False
        armed = [f for f in action.figures if f.pose in ("aim", "shoot", "run") and f.armed]
        if (
            armed
            and not {"rifle", "revolver"} & set(props)
            and not any(p.search(folded) for p in self.rules.not_a_gun)
        ):
            weapons = {self._role_weapon(f) for f in armed}
            props += sorted(weapons)
        if any(f.pose == "ride" for f in action.figures) and "horse" not in props:
            props.append("horse")
        return [p for p in self.rules.props if p in props]

    def _role_weapon(self, fig: FigureAction) -> str:
        for spec in self.rules.extras.values():
            if spec["role"] == fig.role and spec.get("weapon"):
                return str(spec["weapon"])
        return self.rules.default_weapon

    @staticmethod
    def _targets(action: BeatAction) -> None:
        """Who each actor faces: the first figure doing something else (its victim, listener, quarry)."""
        for fig in action.figures:
            others = [o for o in action.figures if o is not fig]
            if not others:
                continue
            victims = [o for o in others if o.pose != fig.pose] or others
            fig.target = victims[0].name


def place_named(text: str) -> str | None:
    """The kind of place a beat names by itself, if any (the scene keywords of tools/render/scene.py)."""
    from tools.comic_script import PanelSpec
    from tools.render.scene import scene_kind

    kind = scene_kind(PanelSpec(id="beat", description=text))
    return None if kind == "plain" else kind


def pending_joined(before: str) -> bool:
    """People joined by "e" to the previous person ("Tex e il colonnello") share its subject role."""
    return bool(
        re.fullmatch(r"\s*(?:e|ed)\s+(?:(?:il|lo|la|i|gli|le|un|uno|una|l'|suo|vecchio)\s*)*", before)
    )


def _patient(rule: dict[str, Any], doers: list[FigureAction]) -> str:
    patient = str(rule.get("patient"))
    if patient == "same":
        return doers[0].pose if doers else "run"
    return patient


def _has_horse(folded: str, rules: BeatRules) -> bool:
    return any(p.search(folded) for p in rules.prop_words["horse"])


def _count(folded: str, at: int) -> int:
    """How many people a group mention stands for: a number word just before it, a plural, or one."""
    words = folded[max(0, at - 12) : at].split()
    for word in reversed(words[-2:]):
        if word in NUMBERS:
            return NUMBERS[word]
    after = re.match(r"[a-z']+", folded[at:])
    noun = after.group(0) if after else ""
    if noun in NUMBERS:
        return NUMBERS[noun]
    return 2 if noun.endswith(("i", "ini")) and noun not in ("uomo",) and len(noun) > 3 else 1


MODEL_PROMPT = """Per ogni personaggio, la posa disegnabile: {poses}.

AZIONE: Tex e Carson galoppano verso il forte
PERSONAGGI: Tex, Kit Carson
Tex: ride
Kit Carson: ride

AZIONE: Il bandito estrae la pistola e fa fuoco su Tex
PERSONAGGI: bandito, Tex
bandito: shoot
Tex: stand

AZIONE: {action}
PERSONAGGI: {names}
"""


def refine_with_model(action: BeatAction, text: str, llm: Any, poses: list[str]) -> None:
    """Ask a completion model for the poses the rules left unknown (`NAME: pose` lines, validated)."""
    from tools.models.structured import generate_parsed, parse_labelled_lines

    names = [f.name for f in action.figures]

    def parse(output: str) -> dict[str, str]:
        pairs = parse_labelled_lines(output, set(names))
        found = {k.lower(): v.strip().lower().split()[0] for k, v in pairs if v.strip()}
        valid = {k: v for k, v in found.items() if v in poses}
        if not valid:
            raise ValueError(f"no valid pose among {sorted(found.values())}; use one of {', '.join(poses)}")
        return valid

    prompt = MODEL_PROMPT.format(poses=", ".join(poses), action=text.strip(), names=", ".join(names))
    try:
        answer = generate_parsed(
            llm,
            prompt,
            parse,
            retries=1,
            what="poses",
            max_tokens=min(40, 8 + 8 * len(names)),
            stop=["\n\n", "AZIONE"],
        )
    except NuvolaError:  # no usable answer (or no model): the rules' reading stands
        return
    for fig in action.figures:
        pose = answer.get(fig.name.lower())
        if pose:
            fig.pose = pose
    action.source = "rules+model"


def parse_beat(text: str, cast: Iterable[str] = (), profile: Any = None, model: Any = None) -> BeatAction:
    """Shortcut: the drawable action of `text` with the default rules."""
    return BeatParser(profile=profile, model=model).parse(text, cast)


# ---- measuring the rules against labelled beats (evals/data/beats_*.jsonl) ----


def load_labelled(path: Path) -> list[dict[str, Any]]:
    """Labelled beats, one JSON object a line: id, beat, cast, poses {figure: pose}, props, time."""
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputFileError(path, f"cannot read it ({exc})") from exc
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputFileError(path, f"line {number} is not JSON: {exc}") from exc
    return records


@dataclass
class PartScore:
    """Right answers out of the total, for one part (poses, props, time)."""

    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def score_beats(
    records: list[dict[str, Any]], parse: Callable[[str, list[str]], BeatAction]
) -> dict[str, PartScore]:
    """Accuracy by part: each labelled figure's pose, each beat's prop set (exact), each beat's time."""
    scores = {"poses": PartScore(), "props": PartScore(), "time": PartScore()}
    for record in records:
        action = parse(record["beat"], record.get("cast", []))
        for name, pose in record["poses"].items():
            got = action.figure(name)
            ok = got is not None and got.pose == pose
            _tally(scores["poses"], ok, f"{record['id']} {name}: {got.pose if got else 'missing'} != {pose}")
        props_ok = sorted(action.props) == sorted(record["props"])
        _tally(
            scores["props"],
            props_ok,
            f"{record['id']} props {sorted(action.props)} != {sorted(record['props'])}",
        )
        _tally(
            scores["time"],
            action.time == record["time"],
            f"{record['id']} time {action.time} != {record['time']}",
        )
    return scores


def _tally(score: PartScore, ok: bool, miss: str) -> None:
    score.total += 1
    score.right += ok
    if not ok:
        score.misses.append(miss)
