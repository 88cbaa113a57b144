"""Measurements of Nuvola's reading and writing."""
