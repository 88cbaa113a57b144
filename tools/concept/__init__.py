"""Concept art to comic art: restyle a user's rough sketches into the series' look, consistently.

Modules (import them directly; this package imports nothing heavy):
- `scenes`: an element-scene generator (recurring characters and settings in ink and in pencil).
- `synthetic`: writes a generated corpus (pages, panel crops, labels) and a concept-sketch set.
- `sketchify`: finished panel -> rough sketch, the self-supervised input of the style network.
- `labels`: the element-labels file (YAML), priors from a script.json, labels from the catalogue.
- `nets`: the element classifier and the style U-Net, with their checkpoints.
- `loss`: the style network's own loss S_j and the Comic Book Loss.
- `metrics`: per-element consistency (mean p where expected/absent, cross-panel feature distance).
- `stylize`: apply a style network; `diffusion`: the optional diffusers backend with best-of-N selection.
"""
