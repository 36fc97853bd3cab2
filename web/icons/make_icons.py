"""Draw the home-screen icons (PNG) from web/icon.svg's design: a white "A" stroke on the
accent blue. Pillow has no SVG renderer, so the two paths are drawn again here, in the
SVG's own 64-unit coordinates, at 4x and scaled down for smooth edges.

    .venv/bin/python web/icons/make_icons.py     # writes web/icons/*.png

"any" icons keep the SVG's rounded square; "maskable" ones fill the whole square (the home
screen cuts its own shape) and keep the letter inside the central 80% safe zone.
build.py does not ship this script.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (0x1D, 0x4E, 0xD8, 255)
WHITE = (255, 255, 255, 255)
# The SVG's path: M18 46 L32 16 L46 46 M24 34 H40, stroke-width 6, round caps and joins.
POLYLINES = [[(18, 46), (32, 16), (46, 46)], [(24, 34), (40, 34)]]
STROKE = 6
SUPERSAMPLE = 4
HERE = Path(__file__).parent


def icon(size, maskable):
    big = size * SUPERSAMPLE
    unit = big / 64
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle([0, 0, big, big], fill=BLUE)
        scale, centre = 0.8, (32, 31)  # the letter shrunk about its own centre
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=12 * unit, fill=BLUE)
        scale, centre = 1.0, (32, 31)

    def at(point):
        x, y = point
        return ((centre[0] + (x - centre[0]) * scale) * unit,
                (centre[1] + (y - centre[1]) * scale) * unit)

    width = STROKE * scale * unit
    for line in POLYLINES:
        points = [at(p) for p in line]
        draw.line(points, fill=WHITE, width=round(width), joint="curve")
        for x, y in points:  # round caps
            r = width / 2
            draw.ellipse([x - r, y - r, x + r, y + r], fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


def main():
    for size in (192, 512):
        for maskable in (False, True):
            name = "icon-%d%s.png" % (size, "-maskable" if maskable else "")
            icon(size, maskable).save(HERE / name, optimize=True)
            print("wrote", (HERE / name).relative_to(HERE.parent.parent))


if __name__ == "__main__":
    main()
