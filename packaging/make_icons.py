"""Render Tenfold's icon set from resources/icons/tenfold.svg.

Writes tenfold-<N>.png (16–512 px), tenfold.ico (Windows) and tenfold.icns (macOS) beside the
SVG. Qt renders the PNGs; the .ico and .icns containers hold PNG images and are written here
by hand, so no image library beyond Qt is needed. Run after changing the SVG:

    .venv/bin/python packaging/make_icons.py
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Apple's PNG-based icon types: (type, pixels).
ICNS_TYPES = (
    ("icp4", 16),
    ("icp5", 32),
    ("icp6", 64),
    ("ic07", 128),
    ("ic08", 256),
    ("ic09", 512),
    ("ic10", 1024),
    ("ic11", 32),
    ("ic12", 64),
    ("ic13", 256),
    ("ic14", 512),
)


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def ico(images: dict[int, bytes]) -> bytes:
    """An .ico file whose entries are PNG images (read by Windows Vista and later)."""
    sizes = sorted(images)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, payload = b"", b""
    for size in sizes:
        png = images[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an .ico directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(payload))
        payload += png
    return header + entries + payload


def icns(images: dict[int, bytes]) -> bytes:
    """An .icns file of PNG images, as macOS 10.7 and later read them."""
    body = b"".join(
        kind.encode("ascii") + struct.pack(">I", 8 + len(images[px])) + images[px] for kind, px in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(ICONS / "tenfold.svg"))
    if not renderer.isValid():
        print(f"cannot read {ICONS / 'tenfold.svg'}", file=sys.stderr)
        return 1
    images = {px: render_png(renderer, px) for px in set(PNG_SIZES) | {px for _, px in ICNS_TYPES}}
    for px in PNG_SIZES:
        (ICONS / f"tenfold-{px}.png").write_bytes(images[px])
    (ICONS / "tenfold.ico").write_bytes(ico({px: images[px] for px in ICO_SIZES}))
    (ICONS / "tenfold.icns").write_bytes(icns(images))
    print(f"wrote {len(PNG_SIZES)} PNGs, tenfold.ico and tenfold.icns to {ICONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
