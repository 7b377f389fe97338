"""Opening uploaded images safely with Pillow and making preview thumbnails.

Pillow's decompression-bomb guard is set explicitly (``MAX_IMAGE_PIXELS``) and anything over it is
refused right after the header is read, so a PNG that declares 100000×100000 pixels is refused after reading its
header, before any pixel is decoded.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

MAX_IMAGE_PIXELS = 40_000_000  # ~ an A4 page scanned at 600 dpi is 35 Mpx
THUMB_SIZE = (480, 480)

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


class ImageError(ValueError):
    """A user-facing refusal (Chinese message)."""


def inspect_image(path: str | Path, *, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int]:
    """(width, height) of a decodable image within ``max_pixels``; raises ImageError otherwise.
    The whole image is decoded once (``load``) so that truncated files are caught here."""
    try:
        with warnings.catch_warnings():
            # Between 1× and 2× the limit Pillow only warns; our own check below refuses with the size.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise ImageError(_too_many(width, height, max_pixels))
                img.load()
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError("图片像素尺寸过大（疑似异常文件），已拒绝。请上传正常扫描的图片（不超过 4000 万像素）。") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError("图片文件已损坏或无法识别，请重新扫描后上传 JPG 或 PNG 图片。") from exc
    return width, height


def _too_many(width: int, height: int, max_pixels: int) -> str:
    return (f"图片尺寸为 {width}×{height} 像素，超过 {max_pixels // 10_000} 万像素的上限，已拒绝。"
            "请降低扫描分辨率后重新上传。")


def make_thumbnail(src: str | Path, dest: str | Path, size: tuple[int, int] = THUMB_SIZE) -> tuple[int, int]:
    """Write a JPEG thumbnail of ``src`` (already inspected) to ``dest``; returns its size."""
    with Image.open(src) as img:
        img.thumbnail(size)
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.save(dest, "JPEG", quality=82)
        return img.size
