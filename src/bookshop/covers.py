"""Book covers drawn as SVG from each book's palette and motif: no image files, no network."""

from __future__ import annotations

import hashlib
import json
import math
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 400, 600
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class CoverStyle:
    """A cover's colours and the pattern drawn above the title."""

    background: str
    ink: str
    accent: str
    motif: str

    @classmethod
    def from_mapping(cls, data: Mapping[str, str]) -> CoverStyle:
        style = cls(
            background=data["background"],
            ink=data["ink"],
            accent=data["accent"],
            motif=data["motif"],
        )
        for colour in (style.background, style.ink, style.accent):
            if not _COLOUR.match(colour):
                raise ValueError(f"cover colour must look like #1a2b3c, not {colour!r}")
        if style.motif not in MOTIFS:
            raise ValueError(f"unknown cover motif {style.motif!r}; one of {sorted(MOTIFS)}")
        return style

    @classmethod
    def from_json(cls, text: str) -> CoverStyle:
        return cls.from_mapping(json.loads(text))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def render_cover(title: str, author: str, style: CoverStyle, seed: str) -> str:
    """The SVG document for a cover; `seed` varies the motif so no two covers look alike."""
    rng = _numbers(seed)
    motif = MOTIFS[style.motif](style, rng)
    lines = textwrap.wrap(title, width=15 if len(title) > 24 else 13)[:4]
    size = 38 if len(lines) <= 2 else 32
    top = 400 - (len(lines) - 1) * size * 0.6
    title_svg = "".join(
        f'<text x="36" y="{top + i * size * 1.15:.0f}" font-size="{size}" '
        f'font-weight="700">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{_attr(title)} cover">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{style.background}"/>'
        f'<g fill="none" stroke="{style.accent}" stroke-width="3">{motif}</g>'
        f'<rect x="0" y="0" width="14" height="{HEIGHT}" fill="{style.accent}" opacity="0.85"/>'
        f'<g fill="{style.ink}" font-family="Georgia, \'Times New Roman\', serif">'
        f"{title_svg}"
        f'<line x1="36" x2="136" y1="512" y2="512" stroke="{style.accent}" stroke-width="3"/>'
        f'<text x="36" y="552" font-size="20" letter-spacing="1">{escape(author.upper())}</text>'
        "</g></svg>"
    )


def _numbers(seed: str) -> Iterator[float]:
    """An endless, repeatable stream of numbers in [0, 1) derived from the seed."""
    counter = 0
    while True:
        digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        for i in range(0, len(digest), 4):
            yield int.from_bytes(digest[i : i + 4], "big") / 2**32
        counter += 1


def _rings(style: CoverStyle, rng: Iterator[float]) -> str:
    cx, cy = 160 + next(rng) * 120, 150 + next(rng) * 60
    return "".join(
        f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{r}" opacity="{1 - r / 220:.2f}"/>'
        for r in range(24, 200, 22)
    )


def _arches(style: CoverStyle, rng: Iterator[float]) -> str:
    shapes = []
    for i, width in enumerate(range(60, 300, 40)):
        x = 200 - width / 2
        top = 90 + i * 12 + next(rng) * 6
        shapes.append(
            f'<path d="M{x:.0f} 300 V{top + width / 2:.0f} A{width / 2:.0f} {width / 2:.0f} '
            f'0 0 1 {x + width:.0f} {top + width / 2:.0f} V300"/>'
        )
    return "".join(shapes)


def _grid(style: CoverStyle, rng: Iterator[float]) -> str:
    cells = []
    for row in range(6):
        for col in range(7):
            x, y = 44 + col * 46, 40 + row * 46
            fill = style.accent if next(rng) < 0.3 else "none"
            cells.append(f'<rect x="{x}" y="{y}" width="34" height="34" fill="{fill}"/>')
    return "".join(cells)


def _waves(style: CoverStyle, rng: Iterator[float]) -> str:
    paths = []
    for i in range(9):
        phase, amplitude = next(rng) * math.pi, 10 + next(rng) * 18
        y0 = 50 + i * 28
        points = " ".join(
            f"{x},{y0 + amplitude * math.sin(x / 40 + phase):.1f}" for x in range(20, 401, 20)
        )
        paths.append(f'<polyline points="{points}" opacity="{0.4 + i * 0.06:.2f}"/>')
    return "".join(paths)


def _blocks(style: CoverStyle, rng: Iterator[float]) -> str:
    shapes = []
    for i in range(7):
        width = 80 + next(rng) * 240
        shapes.append(
            f'<rect x="{(400 - width) / 2:.0f}" y="{50 + i * 36}" width="{width:.0f}" height="24"/>'
        )
    return "".join(shapes)


def _bars(style: CoverStyle, rng: Iterator[float]) -> str:
    shapes = []
    for i in range(9):
        height = 30 + (i + 1) * 22 * (0.7 + next(rng) * 0.3)
        shapes.append(
            f'<rect x="{44 + i * 36}" y="{300 - height:.0f}" width="22" height="{height:.0f}" '
            f'fill="{style.accent}" opacity="{0.35 + i * 0.07:.2f}"/>'
        )
    return "".join(shapes)


def _arcs(style: CoverStyle, rng: Iterator[float]) -> str:
    start = 40 + next(rng) * 20
    return "".join(
        f'<path d="M14 {320 - r:.0f} A{r:.0f} {r:.0f} 0 0 1 {14 + r:.0f} 320"/>'
        for r in (start + step * 34 for step in range(8))
    )


def _dots(style: CoverStyle, rng: Iterator[float]) -> str:
    dots = []
    for row in range(7):
        for col in range(8):
            radius = 3 + next(rng) * 13
            dots.append(
                f'<circle cx="{50 + col * 44}" cy="{46 + row * 40}" r="{radius:.1f}" '
                f'fill="{style.accent}" stroke="none"/>'
            )
    return "".join(dots)


MOTIFS: dict[str, Callable[[CoverStyle, Iterator[float]], str]] = {
    "rings": _rings,
    "arches": _arches,
    "grid": _grid,
    "waves": _waves,
    "blocks": _blocks,
    "bars": _bars,
    "arcs": _arcs,
    "dots": _dots,
}


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})
