"""Opening uploaded images safely with Pillow and making JPEG thumbnails.

Pillow's decompression-bomb guard is set explicitly (``MAX_IMAGE_PIXELS``) and anything over it is
refused right after the header is read, so a PNG that declares 100000×100000 pixels is refused after reading its
header, before any pixel is decoded.
"""
from __future__ import annotations

import warnings
from contextlib import ExitStack
from pathlib import Path

from PIL import Image, UnidentifiedImageError

MAX_IMAGE_PIXELS = 40_000_000  # ~ an A4 page scanned at 600 dpi is 35 Mpx
THUMB_SIZE = (480, 480)

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


class ImageError(ValueError):
    """A user-facing refusal (Chinese message)."""


def check_and_thumbnail(src: str | Path, dest: str | Path | None, size: tuple[int, int] = THUMB_SIZE, *,
                        max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """Decode an uploaded image once, refusing it unless it is decodable and within ``max_pixels``,
    and write a JPEG thumbnail of it to ``dest`` (none when ``dest`` is None). Returns ((width, height),
    (thumb width, thumb height) or None).
    Raises ImageError (nothing written) for a refused image. The whole image is decoded (``load``)
    so that truncated files are caught here; the thumbnail is then made from those pixels."""
    with ExitStack() as stack:
        try:
            with warnings.catch_warnings():
                # Between 1× and 2× the limit Pillow only warns; our own check below refuses with the size.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                img = stack.enter_context(Image.open(src))
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
        # Outside the try: a failure writing the thumbnail is the server's, not a broken upload.
        return (width, height), (save_thumbnail(img, dest, size) if dest is not None else None)


def _too_many(width: int, height: int, max_pixels: int) -> str:
    return (f"图片尺寸为 {width}×{height} 像素，超过 {max_pixels // 10_000} 万像素的上限，已拒绝。"
            "请降低扫描分辨率后重新上传。")


def save_thumbnail(img: Image.Image, dest: str | Path, size: tuple[int, int] = THUMB_SIZE, *,
                   optimize: bool = False) -> tuple[int, int]:
    """Shrink ``img`` in place to fit ``size`` (aspect ratio kept) and write it to ``dest`` as JPEG;
    returns the thumbnail's (width, height)."""
    img.thumbnail(size)
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    img.save(dest, "JPEG", quality=82, optimize=optimize)
    return img.size
