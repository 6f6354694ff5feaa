"""Tile-grid cartogram of the 101 départements (one square tile each), built from data.

The grid below only says *where* each département sits (roughly its geographic position, north at
the top, Corsica in the south-east, the five overseas départements on a separate row); names come from
``app.territories``. The template draws the tiles as an inline SVG and colours those of a list given
by the page (the départements of an experimentation, read from the eligibility regime).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app import territories
from app.territories import Departement

# One line per grid row (north to south), one cell per column: a département code or "." for sea.
# Corsica (2B above 2A) sits in the south-east; the overseas row is drawn apart, with a caption.
METROPOLE_GRID = """
.   .   .   .   .   .   62  59  .   .   .   .
.   .   .   .   .   76  80  02  08  .   .   .
.   .   .   50  14  27  60  51  55  57  67  .
29  22  35  61  28  78  95  93  54  88  68  .
.   56  53  72  41  92  75  94  77  52  70  90
.   .   44  49  37  45  91  89  10  21  25  .
.   .   85  79  86  36  18  58  71  39  .   .
.   .   17  16  87  23  03  42  69  01  74  .
.   .   33  24  19  63  43  07  38  73  .   .
.   .   40  47  46  15  48  30  26  05  .   .
.   .   64  32  82  12  34  84  04  06  .   .
.   .   .   65  31  81  11  13  83  .   2B  .
.   .   .   .   09  66  .   .   .   .   2A  .
"""
OVERSEAS_ROW = ("971", "972", "973", "974", "976")

TILE = 40  # size of a grid cell in SVG units
GAP = 3  # space between tiles
OVERSEAS_GAP_ROWS = 1.2  # blank space (in rows) between mainland and the overseas row


@dataclass(frozen=True)
class Tile:
    departement: Departement
    x: float
    y: float
    size: float

    @property
    def text_x(self) -> float:
        return self.x + self.size / 2

    @property
    def text_y(self) -> float:
        return self.y + self.size / 2


@dataclass(frozen=True)
class TileMap:
    tiles: tuple[Tile, ...]
    width: float
    height: float
    overseas_label_y: float


def _grid_rows() -> list[list[str]]:
    return [line.split() for line in METROPOLE_GRID.strip().splitlines()]


@cache
def build_tile_map() -> TileMap:
    """Every département exactly once, at its grid position; raises if the grid and data disagree."""
    rows = _grid_rows()
    placed: dict[str, Tile] = {}
    size = TILE - GAP

    def place(code: str, column: float, row: float) -> None:
        departement = territories.get_departement(code)
        if departement is None or departement.code != code:
            raise ValueError(f"Code de département inconnu dans la grille de la carte : {code}")
        if code in placed:
            raise ValueError(f"Département placé deux fois sur la carte : {code}")
        placed[code] = Tile(departement, x=column * TILE + GAP / 2, y=row * TILE + GAP / 2, size=size)

    for row_index, row in enumerate(rows):
        for column_index, cell in enumerate(row):
            if cell != ".":
                place(cell, column_index, row_index)

    overseas_label_row = len(rows) + OVERSEAS_GAP_ROWS - 0.9
    overseas_row = len(rows) + OVERSEAS_GAP_ROWS
    for column_index, code in enumerate(OVERSEAS_ROW):
        place(code, column_index, overseas_row)

    missing = [d.code for d in territories.all_departements() if d.code not in placed]
    if missing:
        raise ValueError("Départements absents de la carte : " + ", ".join(missing))

    columns = max(len(row) for row in rows)
    ordered = tuple(placed[d.code] for d in territories.all_departements())
    return TileMap(
        tiles=ordered,
        width=columns * TILE,
        height=(overseas_row + 1) * TILE,
        overseas_label_y=overseas_label_row * TILE + TILE / 2,
    )
