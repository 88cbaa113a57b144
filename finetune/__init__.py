"""Trainers for the LoRA adapters and models the runtime uses (through the files they write)."""
