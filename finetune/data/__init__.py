"""Training sets for the adapters: series style, character voices, OCR cleaning (one builder per file)."""

from finetune.data.examples import TextExample, TrainingSet, read_jsonl_examples

__all__ = ["TextExample", "TrainingSet", "read_jsonl_examples"]
