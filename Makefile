# Nuvola — set-up, demo, tests and benchmarks. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-ita fonts-comic-neue fonts-dejavu libarchive-tools unrar-free \
                witalian hunspell-it chromium poppler-utils fonts-humor-sans fonts-dkg-handwriting fonts-breip
# llama-cpp-python compiles from source; the multimodal helper is not needed (saves a third of the build).
# GGML_NATIVE=OFF: a -march=native build on a CPU with AMX emits AMX tile instructions that crash
# (SIGSEGV at `ldtilecfg`) where the kernel has not granted AMX state to the process, as on these VMs;
# a portable AVX2 build runs everywhere and is as fast for the 270M model on 2 cores.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON \
                     -DGGML_F16C=ON -DGGML_BMI2=ON
STAMP := $(VENV)/.nuvola-installed
DEMO_OUT ?= out/demo

.PHONY: setup system-packages demo test test-fast bench lint clean

setup: system-packages $(STAMP)

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip wheel setuptools
	# torch first, pinned: both wheels lie on this disk; an unpinned torch downloads GBs of CUDA.
	$(BIN)/pip install -q torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/nuvola --home $(DEMO_OUT)/home demo --out $(DEMO_OUT)

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not real and not slow"

bench: setup
# Quick mode where a benchmark has one (dev and frozen columns side by side; runtimes in each area's doc).
	@for b in benchmarks/*.py; do q=$$(grep -q -- "--quick" $$b && echo --quick); \
	  echo "== $$b $$q"; $(BIN)/python $$b $$q || exit 1; done

lint: setup
	$(BIN)/ruff check cli agent tools memory prompts finetune evals tests benchmarks
	$(BIN)/ruff format --check cli agent tools memory prompts finetune evals tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
