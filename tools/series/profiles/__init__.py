"""Series profiles shipped as package data (one YAML file per series)."""
