#!/usr/bin/env bash
# Build .gpu/ (git-ignored): the cp312 wheels the GPU machine's image lacks (same versions as .venv) and the
# fonts and Italian word list the tests read, so `.ci/gpu/run.sh` can run there with no network.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx "/.gpu/" .git/info/exclude 2>/dev/null || echo "/.gpu/" >> .git/info/exclude
mkdir -p .gpu/wh .gpu/sys
pins=$(.venv/bin/pip list --format=freeze 2>/dev/null | grep -iE '^(pydantic|pydantic.core|pydantic.settings|annotated.types|typing.inspection|diffusers|qwen.vl.utils|gguf|pyphen|langchain.core|langchain.openai|langchain.protocol|jsonpatch|jsonpointer|langsmith|orjson|tenacity|uuid.utils|requests.toolbelt|zstandard|openai|jiter|distro|sniffio|python.dotenv|pytest.timeout|rapidfuzz|jinja2|transformers|peft|accelerate|huggingface.hub|tokenizers|safetensors|httpx2|httpcore2|truststore|kernels|websockets|tiktoken)==')
.venv/bin/pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --python-version 3.12 --implementation cp \
  -d .gpu/wh $pins
for f in /usr/share/fonts/opentype/comic-neue /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
         /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf \
         /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf /usr/share/dict/italian \
         /usr/share/hunspell/it_IT.aff /usr/share/hunspell/it_IT.dic; do
  mkdir -p ".gpu/sys$(dirname "$f")" && cp -rL "$f" ".gpu/sys$(dirname "$f")/"
done
du -sh .gpu
