"""Decode page images safely and give them their identity (sha256 of the decoded pixels).

Decoding refuses empty files, files that are not images, images above MAX_PIXELS (decompression
bombs; checked from the header, before any pixel is decoded) and truncated or corrupt data. Pixels are
brought to a canonical mode (L for gray pages, RGB otherwise) so that the same page gets the same id
whichever container or lossless format it came in.
"""

from __future__ import annotations

import hashlib
import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from tools.errors import InputFileError

MAX_PIXELS = 200_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard, as a second line behind ours


def open_image(data: bytes, name: str, frame: int = 0) -> Image.Image:
    """Open (header only) an image from bytes, checking size limits; does not decode pixels yet."""
    if not data:
        raise InputFileError(name, "empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        limit = MAX_PIXELS // 1_000_000
        raise InputFileError(
            name, f"decompression bomb refused: more than {limit} megapixels ({exc})"
        ) from exc
    except UnidentifiedImageError as exc:
        raise InputFileError(name, "not an image or comic archive (unknown format)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputFileError(name, f"corrupt image header ({exc})") from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise InputFileError(
            name,
            f"decompression bomb refused: {width}x{height} = {width * height / 1e6:.0f} megapixels (limit 200)",
        )
    if width == 0 or height == 0:
        raise InputFileError(name, "image has no pixels")
    if frame:
        image.seek(frame)
    return image


def decode_image(data: bytes, name: str, frame: int = 0) -> Image.Image:
    """Fully decode an image from bytes into canonical L or RGB pixels; InputFileError when unusable."""
    image = open_image(data, name, frame)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputFileError(name, f"corrupt or truncated image ({exc})") from exc
    return canonical(image)


def frame_count(data: bytes, name: str) -> int:
    """How many pages a (multi-page TIFF) image holds; 1 for other formats."""
    return int(getattr(open_image(data, name), "n_frames", 1))


def canonical(image: Image.Image) -> Image.Image:
    """L for gray pages (including RGB scans whose channels are equal), RGB for colour; alpha on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(image).astype(np.uint32)
        shift = 8 if image.mode.startswith("I;16") else max(0, int(arr.max()).bit_length() - 8)
        return Image.fromarray((arr >> shift).astype(np.uint8), "L")
    if image.mode == "F":
        return Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode not in ("L", "RGB"):
        image = image.convert("L" if image.mode == "1" else "RGB")
    if image.mode == "RGB":
        arr = np.asarray(image)
        if np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 1], arr[..., 2]):
            return Image.fromarray(np.ascontiguousarray(arr[..., 0]), "L")
    return image


def pixel_hash(image: Image.Image) -> str:
    """The page id: sha256 of the canonical mode, size and raw pixels."""
    digest = hashlib.sha256(f"{image.mode} {image.width}x{image.height}\n".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()
