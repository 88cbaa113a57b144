"""Trainers of the concept-art tool: element classifiers, the style network, consistency fine-tuning.

- `elements`: multi-label element classifier on labelled panel crops (held-out accuracy/AUC per element).
- `style`: the style U-Net, self-supervised on (sketchify(panel), panel) pairs of the user's corpus.
- `consistency`: fine-tunes a style network on the user's concept sketches with the Comic Book Loss.
"""
