"""Nuvola's memory: the only code that talks to Chroma.

- `store.py`      MemoryStore: embedded PersistentClient or Chroma server, one collection per kind
- `records.py`    MemoryRecord / Provenance, content-derived ids
- `embedding.py`  the model seam's embedder as a Chroma embedding function
- `ingest.py`     remember_story / remember_profile / add_text
- `retrieval.py`  what agents ask: search, character_lines, similar_scenes, panels_like, character_sheet
- `transfer.py`   JSONL export / import
"""
