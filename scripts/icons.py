"""Limber's store icons, drawn from the shapes below; the PNGs in skill-package/ are its output.

    .venv/bin/python scripts/icons.py           # redraw skill-package/assets/images/*.png
    .venv/bin/python scripts/icons.py --check   # exit 1 if a committed icon differs

Alexa's store wants a 108x108 and a 512x512 PNG per locale (skill.json smallIconUri and
largeIconUri) and shows them cropped to a circle, so the figure stays inside the inscribed
circle and the background fills the square. The drawing is a kneeling hip-flexor stretch with
the arms raised, in white on a teal disc of the app's colour. It is drawn at 4x and scaled
down with Lanczos filtering, which anti-aliases without depending on a font or a renderer.
Pillow is pinned in pyproject.toml (dev extras), so the same script gives the same pixels;
tests/test_deploy.py redraws both sizes and compares them with the committed files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
ICON_DIR = ROOT / "skill-package" / "assets" / "images"
# skill.json refers to these as file://assets/images/<name>; the ASK CLI uploads them with
# the skill package.
ICONS = {"small": ("limber-small-108.png", 108), "large": ("limber-large-512.png", 512)}
SUPERSAMPLE = 4

BACKGROUND = (14, 110, 110)  # teal
DISC = (22, 138, 132)
FIGURE = (255, 255, 255)
GROUND = (190, 232, 226)

# The figure in unit coordinates (0..1 across the icon), joint by joint.
HEAD = ((0.462, 0.262), 0.066)  # centre, radius
NECK, HIP = (0.490, 0.352), (0.478, 0.585)
SHOULDER = (0.492, 0.392)
HANDS = (0.655, 0.150)
FRONT_KNEE, FRONT_FOOT = (0.685, 0.585), (0.700, 0.775)
BACK_KNEE, BACK_FOOT = (0.405, 0.775), (0.235, 0.765)
GROUND_Y, GROUND_X = 0.805, (0.18, 0.82)
LIMB, THIN = 0.062, 0.022  # stroke widths


def draw(size: int) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGB", (big, big), BACKGROUND)
    pen = ImageDraw.Draw(image)

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] * big, point[1] * big

    def stroke(points: list[tuple[float, float]], width: float, colour: tuple[int, int, int]) -> None:
        pixels = [at(p) for p in points]
        pen.line(pixels, fill=colour, width=round(width * big), joint="curve")
        radius = width * big / 2
        for x, y in (pixels[0], pixels[-1]):  # round caps
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)

    margin = 0.04 * big  # the disc sits inside the circle the store crops to
    pen.ellipse((margin, margin, big - margin, big - margin), fill=DISC)
    stroke([(GROUND_X[0], GROUND_Y), (GROUND_X[1], GROUND_Y)], THIN, GROUND)
    stroke([BACK_FOOT, BACK_KNEE, HIP, FRONT_KNEE, FRONT_FOOT], LIMB, FIGURE)
    stroke([HIP, NECK], LIMB, FIGURE)
    stroke([SHOULDER, HANDS], LIMB * 0.8, FIGURE)
    (cx, cy), radius = at(HEAD[0]), HEAD[1] * big
    pen.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=FIGURE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def icon_path(kind: str, folder: Path = ICON_DIR) -> Path:
    return folder / ICONS[kind][0]


def write_icons(folder: Path = ICON_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, (_, size) in ICONS.items():
        path = icon_path(kind, folder)
        draw(size).save(path, format="PNG", optimize=True)
        written.append(path)
    return written


def differing_icons(folder: Path = ICON_DIR) -> list[Path]:
    """Committed icons whose pixels differ from what draw() makes now (or that are missing)."""
    stale = []
    for kind, (_, size) in ICONS.items():
        path = icon_path(kind, folder)
        if not path.is_file():
            stale.append(path)
            continue
        with Image.open(path) as committed:
            same_size = committed.size == (size, size)
            if not same_size or ImageChops.difference(committed.convert("RGB"), draw(size)).getbbox():
                stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if any differs")
    args = parser.parse_args(argv)
    if args.check:
        stale = differing_icons()
        for path in stale:
            print(f"icons: {path.relative_to(ROOT)} differs from scripts/icons.py; run it", file=sys.stderr)
        return 1 if stale else 0
    for path in write_icons():
        print(f"icons: wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
