"""Per-author language models: Kneser-Ney sums to one, learns what it saw, attributes constructed styles,
calibrated probabilities, the impostor z-scaling, and the dev/frozen attribution split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evals import author_lm
from evals.attribution import (
    SPLIT_FILE,
    AttributionConfig,
    AttributionSplit,
    attribute_leave_one_out,
    load_split,
    novel_bootstrap,
)
from evals.author_lm import (
    CHAR_BASE,
    AuthorLM,
    Impostors,
    NgramLM,
    SkeletonVocabulary,
    Vocabulary,
    encode_chars,
    gram_codes,
    normalise,
    tokens,
    unigram_floor,
)
from tests.test_evals_attribution import write_corpus
from tests.test_evals_metrics import styled_text
from tools.errors import InputFileError


def next_symbol_distribution(lm: NgramLM, context: np.ndarray) -> np.ndarray:
    code = 0
    for c in context[-(lm.order - 1) :]:
        code = code * lm.base + int(c)
    return np.exp(lm.gram_logprob(np.array([code * lm.base + w for w in range(lm.base)])))


@pytest.mark.parametrize("context", ["della ca", "zzqx", "  ", "Tex è"])
def test_kneser_ney_is_a_distribution_for_seen_and_unseen_contexts(context: str) -> None:
    lm = NgramLM(4, CHAR_BASE).fit(encode_chars(styled_text("A", 2000, 1)))
    p = next_symbol_distribution(lm, encode_chars(context))
    assert p.min() > 0 and p.sum() == pytest.approx(1.0, abs=1e-6)


def test_model_predicts_what_it_saw_better_than_what_it_did_not() -> None:
    lm = NgramLM(5, CHAR_BASE).fit(encode_chars("la casa del vento " * 200))
    seen = encode_chars("la casa del vento la casa")
    other = encode_chars("quindici zebre bruciano")
    bits = lambda s: -lm.gram_logprob(gram_codes(s, 5, CHAR_BASE)).mean()  # noqa: E731
    assert bits(seen) < 0.1 < 2.0 < bits(other)


def test_kneser_ney_over_a_background_floor_is_a_distribution_and_spares_common_unseen_words() -> None:
    """Below its unigrams the model falls back on the language's unigrams, not on 1/base."""
    vocab = Vocabulary.fit(["il cane e il gatto e la casa del mare . " * 20 + "sempre mai " * 2], bits=6)
    author = vocab.encode("il cane e il gatto . " * 30)
    floor = unigram_floor(
        [author, vocab.encode("la casa del mare e il mare . " * 30)], vocab.size, vocab.base
    )
    assert floor.sum() == pytest.approx(1.0) and floor[vocab.size :].sum() == 0
    lm = NgramLM(3, vocab.base).fit(author)
    context = vocab.encode("il cane")
    code = context[0] * vocab.base**2 + context[1] * vocab.base
    grams = code + np.arange(vocab.base)
    assert lm.gram_prob(grams, floor).sum() == pytest.approx(1.0, abs=1e-9)
    mare, mai = vocab.index["mare"], vocab.index["mai"]  # neither used by this author; mare is common
    with_floor, uniform = lm.gram_prob(grams, floor), lm.gram_prob(grams)
    assert with_floor[mare] > with_floor[mai] and with_floor[mare] > uniform[mare]


def test_skeleton_keeps_function_words_and_turns_other_words_into_their_endings() -> None:
    text = "e il cavallo della valle correva , e il vento della sera soffiava . " * 10
    skeleton = SkeletonVocabulary.fit([text + " casa mare"], keep=4, suffix=2)
    assert [skeleton.symbol(t) for t in "e il cavallo correva ,".split()] == ["e", "il", "~lo", "~va", ","]
    assert skeleton.base >= skeleton.size and len(set(skeleton.encode(text).tolist())) > 4


def test_skeleton_channel_does_not_see_topic_words_with_the_same_endings() -> None:
    """Swapping content words for others with the same ending leaves the skeleton scores unchanged."""
    train = [styled_text(s, 2500, 0) for s in "AB"]
    model = AuthorLM(word_weight=0.0, skeleton_weight=1.0, impostor_words=300, background_floor=True)
    model.fit(train, ["A", "B"])
    chunk = styled_text("A", 300, 5) + " la collina correva nella valle."
    swapped = chunk.replace("collina", "cantina").replace("valle", "palle").replace("correva", "partiva")
    assert np.allclose(model.scores([chunk]), model.scores([swapped]))
    assert (model.predict([styled_text(s, 400, 11) for s in "AB"]) == ["A", "B"]).all()


def test_word_four_grams_fit_the_codes_and_a_background_mixture_still_attributes() -> None:
    train = [styled_text(s, 2000, 0) for s in "AB"]
    chunks = [styled_text(s, 400, k) for s in "AB" for k in range(3, 6)]
    model = AuthorLM(word_order=4, impostor_words=300, background_floor=True).fit(train, ["A", "B"])
    assert model.channels["word"].encoder.bits == 15 and model.channels["word"].background is None
    assert list(model.predict(chunks)) == list("AAABBB")
    mixed = AuthorLM(word_order=3, impostor_words=300, background_share=0.3).fit(train, ["A", "B"])
    assert mixed.channels["word"].background is not None and list(mixed.predict(chunks)) == list("AAABBB")


def test_normalise_unifies_quotes_dashes_digits_and_space() -> None:
    assert normalise("«Sì» — disse   l’uomo\n nel 1883…") == '"Sì" " disse l\'uomo nel 0000...'


def test_normalise_makes_two_editions_of_one_line_the_same() -> None:
    """Dialogue marks and accent direction are the publisher's, so they must not tell authors apart."""
    one = "— Perchè? — disse. — Sì, più tardi."
    other = "«Perché?» disse. «Sí, piú tardi."
    assert tokens(one) == tokens(other)
    assert normalise("É già così") == "È già così"


def test_gram_codes_overflow_is_refused() -> None:
    with pytest.raises(ValueError, match="64-bit"):
        NgramLM(4, 1 << 20).fit(np.arange(10))


def test_author_lm_attributes_constructed_styles_with_calibrated_probabilities() -> None:
    train = [styled_text(s, 3000, 0) for s in "ABC"]
    model = AuthorLM(char_order=5, word_order=2, impostor_words=300).fit(train, list("ABC"))
    chunks = [styled_text(s, 400, 7 + k) for s in "ABC" for k in range(3)]
    assert list(model.predict(chunks)) == [s for s in "ABC" for _ in range(3)]
    p = model.probabilities(chunks)
    assert p.shape == (9, 3) and np.allclose(p.sum(axis=1), 1.0)
    assert (p.argmax(axis=1) == np.repeat(np.arange(3), 3)).all()
    softer = AuthorLM(**{**model.config(), "sharpness": model.sharpness / 10}).fit(train, list("ABC"))
    assert softer.probabilities(chunks).max(axis=1).mean() < p.max(axis=1).mean()


def test_impostor_z_removes_the_advantage_of_a_bigger_training_text() -> None:
    """B's model sees 20x more text of the same kind; raw likelihoods prefer it for A's chunks too."""
    a = styled_text("A", 1500, 0)
    b = " ".join(styled_text("B", 1500, k) for k in range(20))
    for channel in ({"char_weight": 1.0, "word_weight": 0.0}, {}):  # the character channel, then the default
        model = AuthorLM(char_order=6, impostor_words=300, **channel).fit([a, b], ["A", "B"])  # type: ignore[arg-type]
        chunks = [styled_text("A", 300, 50 + k) for k in range(6)]
        assert (model.predict(chunks) == "A").all()
        name = "char" if channel else "word"
        assert model.impostors[name].mean[1] > model.impostors[name].mean[0]


def test_word_channel_does_not_see_which_names_a_novel_uses() -> None:
    """Proper names are masked: renaming the characters of a chunk leaves every author's score unchanged."""
    train = [styled_text(s, 2000, 0) + " Giacinta disse. Andrea rispose a Giacinta." * 30 for s in "AB"]
    model = AuthorLM(impostor_words=300).fit(train, ["A", "B"])
    chunk = styled_text("A", 300, 9) + " Giacinta guardò Andrea."
    renamed = chunk.replace("Giacinta", "Ersilia").replace("Andrea", "Tommaso")
    assert np.allclose(model.scores([chunk]), model.scores([renamed]))
    unmasked = AuthorLM(impostor_words=300, word_mask_names=False).fit(train, ["A", "B"])
    assert not np.allclose(unmasked.scores([chunk]), unmasked.scores([renamed]))


def test_relative_z_ignores_how_hard_a_chunk_is_for_every_model() -> None:
    """The chunk-relative z-score measures a chunk from its median over the authors' models: a chunk that
    every model predicts equally much better or worse gets the same relative z-scores."""
    rng = np.random.default_rng(0)
    per_char = rng.normal(-2.0, 0.1, size=(40, 5))
    owners = np.repeat(np.array(list("ABCDE")), 8)
    imp = Impostors.fit(per_char, owners, np.array(list("ABCDE")), relative=True)
    plain = Impostors.fit(per_char, owners, np.array(list("ABCDE")))
    chunks = rng.normal(-2.0, 0.1, size=(3, 5))
    assert np.allclose(imp.z(chunks), imp.z(chunks + np.array([[0.5], [-0.3], [1.0]])))
    assert not np.allclose(plain.z(chunks), plain.z(chunks + 0.5))
    memorised = per_char.copy()
    memorised[np.arange(40), np.repeat(np.arange(5), 8)] += 3.0  # each model knows its own impostor chunks
    assert np.allclose(
        Impostors.fit(memorised, owners, np.array(list("ABCDE")), relative=True).mean, imp.mean
    )


def test_two_authors_get_no_relative_z() -> None:
    model = AuthorLM(impostor_words=300).fit([styled_text(s, 1500, 0) for s in "AB"], ["A", "B"])
    assert set(model.impostors) == {"word"}


def test_scores_sum_the_plain_and_the_relative_z_by_their_weights() -> None:
    train = [styled_text(s, 2000, 0) for s in "ABC"]
    chunks = [styled_text(s, 300, 30 + k) for s in "ABC" for k in range(2)]
    model = AuthorLM(impostor_words=300, relative_weight=0.5, token_clip=0.0).fit(train, list("ABC"))
    assert not model.clipped
    parts = model.channel_scores(chunks)
    assert set(parts) == {"word", "word.relative"} and model.impostors["word.relative"].relative
    assert np.allclose(model.scores(chunks), parts["word"] + 0.5 * parts["word.relative"])
    assert list(model.predict(chunks)) == [s for s in "ABC" for _ in range(2)]
    plain = AuthorLM(**{**model.config(), "relative_weight": 0.0}).fit(train, list("ABC"))
    assert set(plain.channel_scores(chunks)) == {"word"}
    assert np.allclose(plain.scores(chunks), parts["word"])


def manual_ratios(model: AuthorLM, chunks: list[str], clip: float, exclude: int = -1) -> np.ndarray:
    """The clipped ratios computed symbol by symbol from each author model's probabilities."""
    channel = model.channels["word"]
    rows = []
    for chunk in model._masked(chunks, True):
        seq = np.concatenate([np.full(channel.order - 1, channel.encoder.pad), channel.encoder.encode(chunk)])
        grams = gram_codes(seq, channel.order, channel.encoder.base)
        logp = np.column_stack([m.gram_logprob(grams, channel.floor) for m in channel.models])
        others = np.delete(logp, exclude, axis=1) if exclude >= 0 else logp
        rows.append(np.clip(logp - np.median(others, axis=1)[:, None], -clip, clip).mean(axis=0))
    return np.array(rows)


def test_clipped_ratios_are_bounded_per_symbol_and_match_a_symbol_by_symbol_count() -> None:
    """Each symbol adds at most ±clip to an author's score: a passage that one training text shares
    verbatim with the chunk cannot outweigh the rest of the chunk."""
    passage = styled_text("C", 60, 99)
    train = [styled_text("A", 2000, 0), styled_text("B", 2000, 0) + " " + passage, styled_text("D", 2000, 1)]
    train.append(styled_text("C", 2000, 1))
    model = AuthorLM(impostor_words=300, token_clip=0.5).fit(train, list("ABDC"))
    chunks = [passage, styled_text("A", 300, 40) + " " + passage]
    ratios = model.clipped_ratios(chunks)["word"]
    assert np.allclose(ratios, manual_ratios(model, chunks, 0.5))
    assert ratios[0, 1] == pytest.approx(0.5, abs=0.05)  # B memorised the passage: nearly every symbol capped
    assert np.abs(ratios).max() <= 0.5 + 1e-9
    wide = model.channels["word"].clipped_ratios(model._masked(chunks, True), 50.0)
    assert wide[0, 1] > 2.0  # unclipped, the memorised passage would dominate
    owned = model.channels["word"].clipped_ratios(model._masked(chunks, True), 0.5, exclude=1)
    assert np.allclose(owned, manual_ratios(model, chunks, 0.5, exclude=1))


def test_clipped_ratios_in_small_blocks_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    train = [styled_text(s, 1500, 0) for s in "ABCD"]
    model = AuthorLM(impostor_words=300).fit(train, list("ABCD"))
    chunks = [styled_text(s, 200, 9) for s in "ABCD"]
    whole = model.clipped_ratios(chunks)["word"]
    monkeypatch.setattr(author_lm, "RATIO_BLOCK", 7)
    assert np.allclose(model.clipped_ratios(chunks)["word"], whole)


def test_four_authors_are_scored_by_clipped_ratios_and_three_by_the_plain_z() -> None:
    train = [styled_text(s, 2500, 0) for s in "ABCD"]
    chunks = [styled_text(s, 300, 30 + k) for s in "ABCD" for k in range(2)]
    model = AuthorLM(impostor_words=300).fit(train, list("ABCD"))
    assert model.clipped and set(model.impostors) == {"word", "char"}
    ratios = model.clipped_ratios(chunks)
    assert (
        np.abs(ratios["char"]).max() <= model.char_clip and np.abs(ratios["word"]).max() <= model.token_clip
    )
    z = {name: model.impostors[name].z(r) for name, r in ratios.items()}
    assert np.allclose(model.scores(chunks), z["word"] + model.clipped_char_weight * z["char"])
    assert list(model.predict(chunks)) == [s for s in "ABCD" for _ in range(2)]
    three = AuthorLM(impostor_words=300).fit(train[:3], list("ABC"))
    assert not three.clipped and set(three.impostors) == {"word", "word.relative"}  # no character channel


def test_a_model_without_channels_is_refused() -> None:
    with pytest.raises(ValueError, match="channel"):
        AuthorLM(char_weight=0.0, word_weight=0.0).fit(["uno due", "tre quattro"], ["A", "B"])


def test_one_author_is_refused() -> None:
    with pytest.raises(ValueError, match="two authors"):
        AuthorLM().fit(["testo"], ["A"])


def test_novel_bootstrap_interval_covers_and_widens_with_few_novels() -> None:
    correct = np.array([0] * 10 + [1] * 90)  # the errors sit in the first 10 chunks
    many = novel_bootstrap(correct, [f"n{i // 5:02d}" for i in range(100)])  # 20 novels, two with errors
    few = novel_bootstrap(correct, [f"n{i // 25}" for i in range(100)])  # 4 novels, one with errors
    assert many[0] <= 0.9 <= many[1] and few[0] <= 0.9 <= few[1]
    assert few[1] - few[0] > many[1] - many[0]


def test_split_file_is_fixed_and_disjoint() -> None:
    split = load_split()
    assert len(split.frozen_authors) == 7 and len(split.dev_authors) == 8
    assert not set(split.frozen_authors) & set(split.dev_authors)
    data = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    frozen_files = set(data["frozen_files"])
    assert frozen_files.isdisjoint(data["dev_files"])
    assert all(f.split("_")[0] in split.frozen_authors for f in frozen_files)


def test_bad_split_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "split.json"
    bad.write_text("{not json")
    with pytest.raises(InputFileError, match="split.json"):
        load_split(bad)


def test_leave_one_out_dev_part_drops_frozen_authors_and_all_part_reports_both(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    split = AttributionSplit(
        corpus="test", rule="test", frozen_authors=["Autore-C"], dev_authors=["Autore-A", "Autore-B"]
    )
    config = AttributionConfig(chunk_words=500, methods=("author_lm", "burrows_delta"))
    dev = attribute_leave_one_out(corpus, config, split, part="dev")
    assert {c.author for c in dev.chunks} == {"Autore-A", "Autore-B"}
    assert all("Autore-C" not in f for fold in dev.folds for f in fold.train_files + fold.test_files)
    full = attribute_leave_one_out(corpus, config, split, part="all")
    assert set(full.parts) == {"dev", "frozen"}
    assert full.parts["frozen"]["author_lm"].n_chunks == 10 and full.accuracy == 1.0
    assert set(full.calibration) == {"author_lm"} and 0 <= full.calibration["author_lm"].ece <= 1
    low, high = full.methods["author_lm"].interval
    assert low <= full.accuracy <= high


def test_dev_protocol_never_sees_a_frozen_novel(shared_dir: Path) -> None:
    """On the real corpus: no frozen author's novel is trained on, tested or a candidate in dev runs."""
    from evals.attribution import dev_texts
    from evals.corpus import leave_one_novel_out, list_texts

    corpus = shared_dir / "corpus" / "eltec-ita"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus/eltec-ita is not here")
    split = load_split()
    frozen = set(json.loads(SPLIT_FILE.read_text(encoding="utf-8"))["frozen_files"])
    texts = list_texts(corpus)
    assert frozen <= {t.path.name for t in texts}
    seen = {
        t.path.name for fold in leave_one_novel_out(dev_texts(texts, split)) for t in fold.train + fold.test
    }
    assert seen and not seen & frozen and not {n.split("_")[0] for n in seen} & set(split.frozen_authors)


def test_combined_harness_fits_its_parts_and_gives_probabilities() -> None:
    train = [styled_text(s, 2500, 0) for s in "ABC"]
    chunks = [styled_text(s, 300, 20 + k) for s in "ABC" for k in range(2)]
    harness = AttributionConfig().build("combined").fit(train, list("ABC"))
    assert list(harness.predict(chunks)) == [s for s in "ABC" for _ in range(2)]
    p = harness.probabilities_from(harness.scores(chunks), [300] * len(chunks))  # type: ignore[attr-defined]
    assert np.allclose(p.sum(axis=1), 1.0) and p.max(axis=1).min() > 1 / 3
