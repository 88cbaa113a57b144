"""The outline ranker keeps the sampled scene closest to the storyline, and the narrator uses it."""

from agent.write.outline_rank import SAME_PLACE_PENALTY, OutlineRanker

PLOT = "Tex e Kit Carson inseguono una banda di contrabbandieri d'armi al confine messicano"
DRIFTED = {"place": "il fiume montano", "goal": "Tex vuole sapere se il cavaliere ha una relazione."}
ON_PLOT = {"place": "una cantina al confine", "goal": "Tex segue i contrabbandieri e la loro banda."}


def test_the_scene_that_names_the_plot_wins_over_a_drifted_one():
    ranker = OutlineRanker(PLOT, ["Tex", "Kit Carson"])
    assert ranker.coverage(DRIFTED) == 0.0
    assert ranker.coverage(ON_PLOT) == 3 / 6  # confine, contrabbandieri, banda of six content words
    assert ranker.best([DRIFTED, ON_PLOT]) is ON_PLOT


def test_cast_names_do_not_count_and_endings_do_not_matter():
    ranker = OutlineRanker(PLOT, ["Tex", "Kit Carson"])
    assert ranker.coverage({"goal": "Tex e Kit Carson parlano."}) == 0.0
    assert ranker.coverage({"goal": "Il contrabbandiere fugge verso i confini."}) == 2 / 6


def test_specific_words_weigh_more_when_a_weight_is_given():
    weight = {"contrabbandieri": 5.0}.get
    ranker = OutlineRanker(PLOT, ["Tex", "Kit Carson"], weight=lambda w: weight(w) or 1.0)
    assert ranker.coverage({"goal": "I contrabbandieri scappano."}) == 5 / 10


def test_a_place_already_used_pays_a_penalty_and_ties_keep_the_first():
    earlier = [{"place": "Una cantina al confine"}]
    ranker = OutlineRanker(PLOT, ["Tex"], earlier=earlier)
    moved = {"place": "il deserto", "goal": "Tex segue i contrabbandieri e la loro banda al confine."}
    assert ranker.score(ON_PLOT) == ranker.coverage(ON_PLOT) - SAME_PLACE_PENALTY
    assert ranker.best([ON_PLOT, moved]) is moved
    twin = dict(DRIFTED)
    assert ranker.best([DRIFTED, twin]) is DRIFTED
