"""Real Italian dialogue for the writers and the script benchmark: quoted speech from a corpus of novels,
a word trigram language model of Italian, and retrieval of real lines as few-shot examples."""
