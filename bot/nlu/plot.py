"""A confusion-matrix PNG drawn with Pillow (no matplotlib): rows are targets, columns predictions.

Cells are shaded by the share of their row (so rare intents are as readable as common ones) and show
the count. Labels use DejaVu Sans when the system has it, Pillow's built-in font otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_FONT_FILES = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Arial.ttf")
CELL = 34
MARGIN = 16


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in _FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def save_confusion_matrix(matrix: np.ndarray, labels: list[str], path: Path, *, title: str) -> None:
    font, small = _font(13), _font(11)
    label_width = max((int(font.getlength(label)) for label in labels), default=0) + 10
    n = len(labels)
    top = MARGIN * 3 + label_width  # column labels are drawn rotated above the grid
    left = MARGIN + label_width
    width, height = left + n * CELL + MARGIN, top + n * CELL + MARGIN * 3
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN), title, fill="black", font=_font(16))
    _draw_cells(draw, matrix, left, top, small)
    for i, label in enumerate(labels):
        draw.text((left - 6, top + i * CELL + CELL // 2), label, fill="black", font=font, anchor="rm")
        image.paste(
            _rotated_label(label, font, label_width),
            (left + i * CELL + (CELL - 18) // 2, top - label_width - 6),
        )
    draw.text((left, height - MARGIN * 2), "predicted →   (rows: target)", fill="gray", font=small)
    image.save(path, format="PNG")


def _draw_cells(draw: ImageDraw.ImageDraw, matrix: np.ndarray, left: int, top: int, font) -> None:
    row_totals = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    shares = matrix / row_totals
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            x, y = left + j * CELL, top + i * CELL
            shade = int(255 - 200 * shares[i, j])
            colour = (shade, shade, 255) if i == j else (255, shade, shade)
            draw.rectangle(
                (x, y, x + CELL - 1, y + CELL - 1),
                fill=colour if matrix[i, j] else "white",
                outline=(220, 220, 220),
            )
            if matrix[i, j]:
                ink = "white" if shares[i, j] > 0.6 else "black"
                draw.text(
                    (x + CELL // 2, y + CELL // 2), str(int(matrix[i, j])), fill=ink, font=font, anchor="mm"
                )


def _rotated_label(label: str, font, length: int) -> Image.Image:
    canvas = Image.new("RGB", (length, 18), "white")
    ImageDraw.Draw(canvas).text((length - 2, 9), label, fill="black", font=font, anchor="rm")
    return canvas.rotate(90, expand=True)
