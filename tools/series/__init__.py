"""A series' own facts (characters, voices, palettes, format) as shipped YAML profiles; see profile.py."""
