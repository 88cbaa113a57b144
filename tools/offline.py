"""Nuvola never downloads weights or kernels: keep Hugging Face libraries off the network.

transformers >= 5 swaps in compute kernels fetched from the Hub (`kernels-community/...`) whenever a model
is put in train/eval mode on a GPU and the `kernels` package is installed; with no network that raises in
the middle of `nuvola finetune` (seen on an H200 with transformers 5.25). Call `forbid_downloads()` before
loading any transformers/diffusers model. A user who wants the Hub sets the variables themselves.
"""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "USE_HUB_KERNELS": "0",  # no kernels from the Hub (read at load time by transformers)
    "HF_HUB_OFFLINE": "1",  # no downloads (read when huggingface_hub is first imported)
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def forbid_downloads() -> None:
    """Set the offline defaults, leaving any value the user has set."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
