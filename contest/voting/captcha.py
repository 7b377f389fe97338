"""Drawing captcha images with Pillow: text in, PNG bytes out (no database, no request)."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 132, 48


def render_png(text: str, *, seed: int | None = None) -> bytes:
    """A small PNG of ``text`` with jittered letters, noise lines and dots."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (WIDTH, HEIGHT), (246, 247, 250))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        draw.line([(rnd.randint(0, WIDTH), rnd.randint(0, HEIGHT)), (rnd.randint(0, WIDTH), rnd.randint(0, HEIGHT))],
                  fill=(rnd.randint(120, 200), rnd.randint(120, 200), rnd.randint(120, 200)), width=1)
    step = (WIDTH - 16) // max(1, len(text))
    for i, ch in enumerate(text):
        font = ImageFont.load_default(size=rnd.randint(28, 34))
        glyph = Image.new("RGBA", (40, 46), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((6, 2), ch, font=font,
                                   fill=(rnd.randint(20, 90), rnd.randint(20, 90), rnd.randint(60, 140), 255))
        glyph = glyph.rotate(rnd.uniform(-25, 25), resample=Image.Resampling.BICUBIC, expand=False)
        img.paste(glyph, (8 + i * step + rnd.randint(-3, 3), rnd.randint(-2, 4)), glyph)
    for _ in range(120):
        draw.point((rnd.randint(0, WIDTH - 1), rnd.randint(0, HEIGHT - 1)),
                   fill=(rnd.randint(100, 220), rnd.randint(100, 220), rnd.randint(100, 220)))
    img = img.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
