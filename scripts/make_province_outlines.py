"""One-off generator of supplyopt/reports/geo/cn_provinces.geojson: China's 34 provincial units
(with Hong Kong, Macao and Taiwan) from Debian's gmt-dcw package (DCW-GMT 2.1.1, LGPL-3+),
simplified for the report's interactive map. Nothing downloads at build or view time; this
script is run by hand once and its output committed (see supplyopt/reports/geo/LICENSE.md).

    apt-get install -y gmt-dcw
    python3 -m venv /tmp/geo && /tmp/geo/bin/pip install h5py shapely numpy
    /tmp/geo/bin/python scripts/make_province_outlines.py            # writes the GeoJSON

h5py and shapely are needed only here, never by supplyopt itself. The DCW file stores each
unit's outline as uint16 offsets from a minimum (degrees = min + value / scale), rings separated
by 65535 in the longitudes. Rings are unioned per unit, islands under ``--min-island`` square
degrees dropped, simplified (Douglas-Peucker, ``--tolerance`` degrees) and rounded to 3 decimals
(~100 m): enough for outlines and a land fill, not for geometric joins (rounding may leave a
polygon slightly invalid).
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
from pathlib import Path

import h5py
import numpy as np
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.ops import unary_union

DCW = Path("/usr/share/gmt-dcw")
OUT = Path(__file__).resolve().parent.parent / "supplyopt/reports/geo/cn_provinces.geojson"


def rings(nc: h5py.File, unit: str) -> list[np.ndarray]:
    """The outline rings of one DCW unit (e.g. ``CNSX``) as (n, 2) arrays of lon, lat in degrees."""
    lon, lat = nc[f"{unit}_lon"], nc[f"{unit}_lat"]
    raw_x, raw_y = lon[:], lat[:]
    x = lon.attrs["min"][0] + raw_x / lon.attrs["scale"][0]
    y = lat.attrs["min"][0] + raw_y / lat.attrs["scale"][0]
    cuts = list(np.where(raw_x == 65535)[0]) + [len(x)]  # 65535 in lon starts a new ring
    return [np.column_stack([x[a + 1 : b], y[a + 1 : b]]) for a, b in itertools.pairwise(cuts) if b - a > 3]


def outline(nc: h5py.File, unit: str, tolerance: float, min_island: float):
    shape = unary_union([Polygon(r).buffer(0) for r in rings(nc, unit)])
    parts = list(shape.geoms) if isinstance(shape, MultiPolygon) else [shape]
    biggest = max(p.area for p in parts)
    kept = [p for p in parts if p.area >= min_island or p.area == biggest]
    return MultiPolygon(kept).simplify(tolerance, preserve_topology=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tolerance", type=float, default=0.02, help="simplification tolerance, degrees (default 0.02, ~2 km)")
    ap.add_argument("--min-island", type=float, default=0.002, help="drop islands smaller than this, square degrees (default 0.002)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    names = {}
    for line in (DCW / "dcw-states.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("CN "):
            _, code, name = line.split(None, 2)
            names[code] = name.strip()
    with h5py.File(DCW / "dcw-gmt.nc") as nc:
        features = [{"type": "Feature", "properties": {"code": f"CN-{code}", "name": name},
                     "geometry": mapping(outline(nc, f"CN{code}", args.tolerance, args.min_island))} for code, name in sorted(names.items())]
    collection = {"type": "FeatureCollection",
                  "source": "DCW-GMT 2.1.1 (Debian package gmt-dcw), The GMT Team, LGPL-3+; simplified by scripts/make_province_outlines.py",
                  "features": features}
    text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
    text = re.sub(r"(\d\.\d{3})\d+", r"\1", text)  # 3 decimals (~100 m)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"{args.out}: {len(features)} units, {len(text):,} bytes")


if __name__ == "__main__":
    main()
