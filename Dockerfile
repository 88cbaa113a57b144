# Nuvola as a server: `nuvola serve` (web page + API + worker) in one container; see docs/serving.md.
# The install follows `make setup`: the Debian packages of APT_PACKAGES (without chromium, which only the
# browser tests need), torch pinned first (CPU wheels), then the package itself.
#
#   docker build -t nuvola:local .
#   docker run -p 127.0.0.1:8765:8765 -v nuvola-data:/data nuvola:local
#   docker compose up --build        # with a Chroma server beside it (compose.yaml)

# ---- build: compile llama-cpp-python and install everything into /opt/venv ------------------------
FROM python:3.11-slim-bookworm AS build
# A portable build (no -march=native), as the Makefile's CMAKE_ARGS: an image runs on other CPUs.
ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 \
    CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake git \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install -U pip wheel setuptools \
 && pip install torch==2.14.1 torchvision==0.29.1 --index-url https://download.pytorch.org/whl/cpu
WORKDIR /src
COPY pyproject.toml README.md ./
COPY cli cli
COPY agent agent
COPY tools tools
COPY prompts prompts
COPY memory memory
COPY finetune finetune
COPY evals evals
RUN pip install .

# ---- run: the Debian packages Nuvola reads and letters with, the venv, a non-root user -------------
FROM python:3.11-slim-bookworm
ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH NUVOLA_HOME=/data
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-ita fonts-comic-neue fonts-dejavu \
      libarchive-tools unrar-free witalian hunspell-it poppler-utils fonts-humor-sans fonts-dkg-handwriting \
      fonts-breip libgomp1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --uid 1000 nuvola \
 && mkdir -p /data /chroma && chown nuvola:nuvola /data /chroma
USER nuvola
WORKDIR /home/nuvola
VOLUME ["/data"]
EXPOSE 8765
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8765/api/health', timeout=4)"
# Listening on 0.0.0.0 inside the container means a token is required: it is printed once, in the logs of
# the first start (`docker compose logs app`), and only its hash is kept in /data/server/token.json.
CMD ["nuvola", "serve", "--host", "0.0.0.0", "--port", "8765"]
