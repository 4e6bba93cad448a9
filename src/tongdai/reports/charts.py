"""Chart geometry for server-rendered inline SVG (no script, no CDN, no inline style).

Functions here compute positions and sizes; the templates ``reports/_bars.html``,
``reports/_columns.html`` and ``reports/_tilemap.html`` draw them with SVG attributes and
CSS classes from ``static/tongdai/css/reports.css``. The same markup goes into the PDF.

**Map.** No installed or registry package we found carries the boundaries of the 34
provinces of the 2025 map (``vietnamadminunits`` has centroids only), so the map is a
tile grid: one equal square per province, placed by the fixed layout ``TILE_LAYOUT`` that
keeps north-south order and neighbours roughly where they are.
"""

from __future__ import annotations

from dataclasses import dataclass

BAR_WIDTH = 640
BAR_LABEL = 230  # room for the label left of the bars
BAR_AREA = 330
BAR_ROW = 26
COLUMN_WIDTH = 720
COLUMN_HEIGHT = 180
COLUMN_PAD = 28
TILE = 56
TILE_GAP = 4
#: How many shades the map uses (``tile-0`` for none, then ``tile-1`` … ``tile-5``).
SHADES = 5

#: Province code -> (column, row) of its tile (34 provinces, Resolution 202/2025/QH15).
TILE_LAYOUT: dict[str, tuple[int, int]] = {
    "12": (1, 0), "15": (2, 0), "08": (3, 0), "04": (4, 0),   # Lai Châu, Lào Cai, Tuyên Quang, Cao Bằng
    "11": (0, 1), "14": (1, 1), "25": (2, 1), "19": (3, 1), "20": (4, 1),  # Điện Biên … Lạng Sơn
    "01": (2, 2), "24": (3, 2), "22": (4, 2),  # Hà Nội, Bắc Ninh, Quảng Ninh
    "37": (2, 3), "33": (3, 3), "31": (4, 3),  # Ninh Bình, Hưng Yên, Hải Phòng
    "38": (2, 4),  # Thanh Hóa
    "40": (2, 5), "42": (3, 5),  # Nghệ An, Hà Tĩnh
    "44": (3, 6),  # Quảng Trị
    "46": (3, 7), "48": (4, 7),  # Huế, Đà Nẵng
    "51": (3, 8), "52": (4, 8),  # Quảng Ngãi, Gia Lai
    "66": (3, 9), "56": (4, 9),  # Đắk Lắk, Khánh Hòa
    "80": (1, 10), "75": (2, 10), "68": (3, 10),  # Tây Ninh, Đồng Nai, Lâm Đồng
    "91": (0, 11), "82": (1, 11), "79": (2, 11),  # An Giang, Đồng Tháp, Hồ Chí Minh
    "92": (0, 12), "86": (1, 12),  # Cần Thơ, Vĩnh Long
    "96": (0, 13),  # Cà Mau
}


@dataclass
class Bar:
    label: str
    value: int
    share: float | None
    y: int
    width: int
    text_x: int
    level: int = 0


def bar_chart(rows) -> dict:
    """Horizontal bars for table rows (``Row``: label, count, share, level)."""
    rows = list(rows)
    top = max((r.count for r in rows), default=0)
    bars = []
    for i, r in enumerate(rows):
        width = round(BAR_AREA * r.count / top) if top else 0
        bars.append(Bar(r.label, r.count, r.share, i * BAR_ROW, width,
                        BAR_LABEL + width + 6, r.level))
    return {"width": BAR_WIDTH, "height": max(1, len(bars)) * BAR_ROW, "bars": bars,
            "x0": BAR_LABEL, "bar_height": BAR_ROW - 8, "text_dy": BAR_ROW // 2 + 1}


@dataclass
class Column:
    key: str
    value: int
    x: int
    y: int
    width: int
    height: int
    label: str  # empty when the axis would be crowded


def column_chart(points: list[tuple[str, int]]) -> dict:
    """Vertical bars for a trend (``(bucket key, count)``), labels thinned to about 8."""
    n = max(1, len(points))
    top = max((v for _k, v in points), default=0)
    plot_h = COLUMN_HEIGHT - COLUMN_PAD
    step = COLUMN_WIDTH / n
    every = max(1, -(-n // 8))
    cols = []
    for i, (key, value) in enumerate(points):
        # Whole pixels: templates would print a float with the locale's decimal comma.
        height = round(plot_h * value / top) if top else 0
        cols.append(Column(key, value, round(i * step + step * 0.1), plot_h - height,
                           max(1, round(step * 0.8)), height, key if i % every == 0 else ""))
    return {"width": COLUMN_WIDTH, "height": COLUMN_HEIGHT, "columns": cols, "top": top,
            "axis_y": plot_h, "label_y": plot_h + 16}


@dataclass
class Tile:
    code: str
    name: str
    value: int
    x: int
    y: int
    shade: int


def tile_map(by_province: dict[str, int], names: dict[str, str]) -> dict:
    """The 34-province tile grid, each tile shaded by its count (quantised to ``SHADES``)."""
    top = max((by_province.get(c, 0) for c in TILE_LAYOUT), default=0)
    tiles = []
    for code, (col, row) in TILE_LAYOUT.items():
        value = by_province.get(code, 0)
        shade = 0 if not value or not top else max(1, -(-SHADES * value // top))
        tiles.append(Tile(code, names.get(code, code), value, col * (TILE + TILE_GAP),
                          row * (TILE + TILE_GAP), shade))
    cols = max(c for c, _r in TILE_LAYOUT.values()) + 1
    rows = max(r for _c, r in TILE_LAYOUT.values()) + 1
    return {"tiles": tiles, "tile": TILE, "width": cols * (TILE + TILE_GAP),
            "height": rows * (TILE + TILE_GAP), "name_y": 22, "value_y": 42, "mid": TILE // 2}
