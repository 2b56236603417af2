"""Digits shown inline in the page, as PNG data URIs: no second request, no torch.

An `<img>` with its picture inline appears with the script's output, while `st.image`
serves each picture as a file that the browser fetches afterwards.
"""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np
import streamlit as st
from PIL import Image

THUMBNAIL_PX = 280  # data URIs stay small even for a 12-megapixel photo


def png_data_uri(image: np.ndarray, max_px: int | None = THUMBNAIL_PX) -> str:
    """A small PNG inline in the page: no second request, so it shows with the text around it."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0, 1) * 255).astype(np.uint8)
    picture = Image.fromarray(array)
    if max_px:
        picture.thumbnail((max_px, max_px))
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def image_row(items: list[tuple[np.ndarray, str]], size_px: int = 120) -> None:
    """Images side by side with captions, inline in one element.

    st.image serves every picture as a separate file that the browser fetches afterwards,
    while the server is still busy with the rest of the page; inline, the row appears
    with the script's output.
    """
    cells = "".join(
        f'<figure style="margin:0;text-align:center;flex:0 0 auto">'
        f'<img src="{png_data_uri(image)}" alt="{escape(caption)}" '
        f'style="width:{size_px}px;height:{size_px}px;object-fit:contain;image-rendering:pixelated;background:#000">'
        f'<figcaption style="font-size:0.8rem;color:#555;max-width:{size_px + 20}px">{escape(caption)}</figcaption>'
        f"</figure>"
        for image, caption in items
    )
    st.html(f'<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">{cells}</div>')
