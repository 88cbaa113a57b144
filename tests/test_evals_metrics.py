"""Metric unit tests on constructed texts whose answers are known."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from evals.comic_format import compare_format, format_distributions, uppercase_share
from evals.corpus import AuthoredText, chunk_words, count_words, leave_one_novel_out
from evals.ngrams import CharNgramCounter
from evals.samples import BalloonText, TextSample
from evals.style_classifier import StyleClassifier
from evals.style_profile import NameLexicon, StyleProfiler
from evals.stylometry import DeltaAttributor, DeltaSpace, burrows_delta, cosine_delta, profile_delta
from tools.errors import InputFileError

CONTENT = (
    "casa strada cavallo fiume notte giorno lettera porta finestra campo città sole vento mare "
    "monte pane vino libro tavola padre madre figlio amico nemico pistola sella canyon"
).split()
STYLES = {
    "A": {"glue": "dunque invero siffatto alquanto codesto giammai".split(), "punct": [";", ",", "."]},
    "B": {"glue": "allora proprio subito ecco mica tanto".split(), "punct": ["!", "?", "."]},
    "C": {"glue": "però quindi ormai appena sempre ancora".split(), "punct": ["...", ",", "."]},
    "D": {"glue": "forse anzi magari oppure purtroppo perfino".split(), "punct": [":", ",", "."]},
}
COMMON = "il la di che e un non per con si".split()


def styled_text(style: str, words: int, seed: int, names: tuple[str, ...] = ()) -> str:
    """Sentences over one shared vocabulary: every style uses every function word, its own six about six
    times as often, and ends sentences its own way (as real authors differ: by rates, not by words)."""
    rng = random.Random(f"{style}-{seed}")
    spec = STYLES[style]
    glue = sorted({w for s in STYLES.values() for w in s["glue"]})
    pool = COMMON + glue + CONTENT + list(names)
    weights = (
        [4] * len(COMMON)
        + [6 if w in spec["glue"] else 1 for w in glue]
        + [1] * len(CONTENT)
        + [2] * len(names)
    )
    out: list[str] = []
    while sum(len(s.split()) for s in out) < words:
        sentence = rng.choices(pool, weights, k=rng.randint(7, 13))
        text = " ".join(sentence)
        out.append(text[0].upper() + text[1:] + rng.choice(spec["punct"]))
    return " ".join(out)


def test_char_ngram_counts_match_scikit_learn() -> None:
    texts = ["Perché  mai,\nTEX? È tardi!", "àèìòù l'altro… 12 cavalli", "ab"]
    mine = CharNgramCounter(orders=(1, 2, 3)).fit(texts)
    ref = CountVectorizer(analyzer="char", ngram_range=(1, 3)).fit(texts)
    decoded = {mine.decode(c): i for i, c in enumerate(mine.vocabulary)}
    assert set(decoded) == set(ref.get_feature_names_out())
    a, b = mine.transform(texts).toarray(), ref.transform(texts).toarray()
    for j, gram in enumerate(ref.get_feature_names_out()):
        assert (a[:, decoded[gram]] == b[:, j]).all(), gram


def test_char_ngram_max_features_keeps_the_most_frequent() -> None:
    counter = CharNgramCounter(orders=(1,), max_features=2).fit(["aaaa bb c", "aaa b"])
    assert sorted(counter.decode(c) for c in counter.vocabulary) == [" ", "a"]
    assert counter.transform(["zzz"]).sum() == 0  # unseen characters count nothing


def test_corpus_names_chunks_and_folds(tmp_path) -> None:
    text = AuthoredText.from_path(tmp_path / "Verga-Giovanni_Una-peccatrice_1866.txt")
    assert (text.author, text.title) == ("Verga-Giovanni", "Una-peccatrice_1866")
    with pytest.raises(InputFileError, match="Author-Name_Title_Year"):
        AuthoredText.from_path(tmp_path / "senzautore.txt")
    pieces = chunk_words("uno, due; tre l'altro quattro cinque sei", 3)
    assert pieces == ["uno, due; tre", "l'altro quattro"] and count_words(pieces[1]) == 3
    texts = [
        AuthoredText.from_path(tmp_path / n)
        for n in ("A_x_1.txt", "A_y_2.txt", "B_z_3.txt", "C_w_4.txt", "C_v_5.txt")
    ]
    folds = leave_one_novel_out(texts)
    assert [[t.path.name for t in f.test] for f in folds] == [
        ["A_x_1.txt", "C_v_5.txt"],
        ["A_y_2.txt", "C_w_4.txt"],
    ]
    assert all("B_z_3.txt" in [t.path.name for t in f.train] for f in folds)  # distractor stays in training
    assert all(not set(f.train) & set(f.test) for f in folds)


def test_delta_distances_on_known_vectors() -> None:
    a = np.array([[1.0, -1.0, 0.0]])
    b = np.array([[0.0, 1.0, 2.0], [2.0, -2.0, 0.0]])
    assert burrows_delta(a, b)[0] == pytest.approx([(1 + 2 + 2) / 3, (1 + 1 + 0) / 3])
    assert cosine_delta(a, b)[0, 1] == pytest.approx(0.0)  # same direction
    assert cosine_delta(a, b)[0, 0] == pytest.approx(1 + 1 / (np.sqrt(2) * np.sqrt(5)))  # a.b = -1


def test_delta_attributes_constructed_styles_and_ranks_profiles() -> None:
    train = [styled_text(s, 300, seed) for s in "ABC" for seed in range(6)]
    labels = [s for s in "ABC" for _ in range(6)]
    test = [styled_text(s, 300, 100 + i) for i, s in enumerate("ABCABC")]
    for metric in ("burrows", "cosine"):
        model = DeltaAttributor(mfw=40, metric=metric).fit(train, labels)  # type: ignore[arg-type]
        assert list(model.predict(test)) == list("ABCABC")
    space = DeltaSpace.fit(train, 40)
    near = profile_delta(space, train[:6], [styled_text("A", 600, 7), styled_text("B", 600, 8)])
    assert near["burrows_delta"][0] < near["burrows_delta"][1]
    assert near["cosine_delta"][0] < near["cosine_delta"][1]


def test_name_lexicon_masks_names_but_not_capitals_or_lettering() -> None:
    names = NameLexicon.fit(["Giorgio disse che la casa era vuota. La notte Giorgio tornò.", "TEX SPARA!"])
    assert names.mask("La casa di Giorgio e di Marta. TEX RIDE.") == "La casa di # e di #. TEX RIDE."


def test_style_profiler_follows_style_not_character_names() -> None:
    """Names that go with each author in training must not decide the test: style must (without the
    masking, the name-swapped B text goes to A)."""
    train = [styled_text("A", 400, s, names=("Zbyszko",) * 30) for s in range(5)]
    train += [styled_text("B", 400, s, names=("Qwyneth",) * 30) for s in range(5)]
    profiler = StyleProfiler().fit(train, ["A"] * 5 + ["B"] * 5)
    assert not {"zbyszko", "qwyneth"} & set(profiler.word.vocabulary)
    assert profiler.char.counter is not None
    grams = [profiler.char.counter.decode(c) for c in profiler.char.counter.vocabulary]
    assert not [g for g in grams if "zb" in g or "qw" in g]  # names are masked before counting
    assert any("#" in g for g in grams)
    swapped = [
        styled_text("A", 400, 50, names=("Qwyneth",) * 30),
        styled_text("B", 400, 51, names=("Zbyszko",) * 30),
    ]
    assert list(profiler.predict(swapped)) == ["A", "B"]
    scores = profiler.scores(swapped)
    assert scores.shape == (2, 2) and scores[0, 0] > scores[0, 1] and scores[1, 1] > scores[1, 0]


def test_style_classifier_is_calibrated_towards_the_reference() -> None:
    reference = [styled_text("A", 2000, 1)]
    background = [styled_text("B", 1500, 2), styled_text("C", 1500, 3)]
    clf = StyleClassifier(chunk_words=80).fit(reference, background)
    inside, outside = clf.probability(styled_text("A", 400, 9)), clf.probability(styled_text("C", 400, 10))
    assert inside.probability > 0.7 > 0.3 > outside.probability
    assert inside.chunks == 5 and 0.0 <= outside.share_above_half <= 0.2


def sample(balloons: list[str], per_panel=None, per_page=None) -> TextSample:  # type: ignore[no-untyped-def]
    return TextSample("s", "test", [BalloonText(t) for t in balloons], per_panel, per_page)


def test_format_measures_and_wasserstein() -> None:
    assert uppercase_share("TEX ride") == pytest.approx(3 / 7)
    ref = sample(["DOVE SEI?", "QUI! ...ARRIVO…", "BENE."], [1, 2, 0], [3])
    dist = format_distributions(ref)
    assert list(dist["words_per_balloon"]) == [2, 2, 1]
    assert list(dist["exclamations"]) == [0, 1, 0] and list(dist["questions"]) == [1, 0, 0]
    assert list(dist["ellipses"]) == [0, 2, 0]
    same = compare_format(ref, ref)
    assert same.fidelity == 1.0 and all(m.wasserstein == 0 for m in same.measures.values())
    longer = compare_format(
        ref, sample(["DOVE SEI ORA?", "QUI! ...ARRIVO SUBITO…", "BENE ALLORA."], [1, 2, 0], [3])
    )
    assert longer.measures["words_per_balloon"].wasserstein == pytest.approx(1.0)
    assert longer.fidelity < 1.0
    prose = compare_format(ref, sample(["dove sei", "qui"]))
    assert "panels_per_page" in prose.missing and prose.measures["uppercase_share"].candidate_mean == 0.0
