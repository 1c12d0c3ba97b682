"""The HTML map: self-contained (no network), and checked in a real headless Chromium.

The browser test needs Debian's ``chromium`` package (``/usr/bin/chromium``, installed by
``.ci/run``) and skips, saying so, only when it is absent. It loads ``map.html`` from a file with
networking off, lets the page run (virtual time), reads the rendered DOM, counts the site
markers and saves a screenshot into the test's tmp folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from optimizer.export import MAP_FILE, write_run_exports
from optimizer.export.webmap import LEAFLET_VERSION, field_label, leaflet_css

pytestmark = pytest.mark.solver
SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "scenarios"
ASSETS = Path(__file__).resolve().parent.parent / "optimizer" / "export" / "webmap_assets"
VENDORED_SHA256 = {
    "leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
    "leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
    "images/layers.png": "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6",
    "images/layers-2x.png": "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf",
}
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",
]


def _data_dir() -> Path | None:
    """The public data mirror when there is one (the map then has states and transmission)."""
    value = os.environ.get("DCSITE_DATA")
    return Path(value) if value and Path(value).is_dir() else None


@pytest.fixture(scope="module")
def mapped(tmp_path_factory) -> dict[str, Path]:
    """Run folders of the example scenarios with every export written."""
    from optimizer.pipeline import run_scenario
    from optimizer.scenario import load_scenario

    root = tmp_path_factory.mktemp("mapped")
    runs = {}
    for name in ("tiny", "stranded-storage"):
        out = root / name
        run_scenario(load_scenario(SCENARIOS / name)).save(out)
        write_run_exports(out, _data_dir())
        runs[name] = out
    return runs


def test_vendored_leaflet_is_the_npm_release():
    for name, digest in VENDORED_SHA256.items():
        assert hashlib.sha256((ASSETS / name).read_bytes()).hexdigest() == digest, name
    assert "BSD 2-Clause" in (ASSETS / "LICENSE-leaflet.txt").read_text()
    assert f"Leaflet {LEAFLET_VERSION}" in (ASSETS / "leaflet.js").read_text()[:200]
    css = leaflet_css()
    assert "url(images/layers" not in css and "data:image/png;base64," in css


def test_field_labels_carry_units():
    assert field_label("campus_mw") == "campus (MW)"
    assert field_label("storage_energy_mwh") == "storage energy (MWh)"
    assert field_label("interconnect_dual_usd_per_mw_year") == "interconnect dual (USD/MW-yr)"
    assert field_label("curtailment_pct") == "curtailment (%)"
    assert field_label("built") == "built"


@pytest.mark.parametrize("name", ["tiny", "stranded-storage"])
def test_map_is_self_contained_and_small(mapped, name):
    page = (mapped[name] / MAP_FILE).read_text(encoding="utf-8")
    size = len(page.encode("utf-8"))
    assert size < 5_000_000, f"map.html is {size / 1e6:.1f} MB"
    # nothing is loaded from elsewhere: no external script, stylesheet, import or image
    assert not re.search(r"<script[^>]+src=", page, re.I)
    assert not re.search(r"<link[^>]+(stylesheet|href=)", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", page, re.I)
    assert not re.search(r"<img[^>]+src=\s*['\"]?https?:", page, re.I)
    assert f"Leaflet {LEAFLET_VERSION}" in page and "BSD 2-Clause" in page
    data = json.loads(re.search(r'<script id="dcsite-data"[^>]*>(.*?)</script>', page, re.S)[1])
    sites = pd.read_csv(mapped[name] / "sites.csv")
    assert len(data["sites"]["features"]) == len(sites)
    assert sum(f["properties"]["built"] for f in data["sites"]["features"]) == sites["built"].sum()
    assert len(data["regions"]["features"]) == len(pd.read_csv(mapped[name] / "regions.csv"))
    if _data_dir() is not None:
        assert len(data["states"]["features"]) >= 50
        classes = {f["properties"]["volt_class"] for f in data["transmission"]["features"]}
        assert classes <= {"345", "500", "735 AND ABOVE", "DC"} and "345" in classes
    else:
        assert data["states"] is None and data["transmission"] is None


class _Dom(HTMLParser):
    """Class lists of every element of a rendered page, and the attributes of <body>."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[set[str]] = []
        self.body: dict[str, str | None] = {}
        self.errors = ""
        self._in_errors = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.append(set((attrs.get("class") or "").split()))
        if tag == "body":
            self.body = attrs
        self._in_errors = attrs.get("id") == "dcsite-errors"

    def handle_data(self, data):
        if self._in_errors:
            self.errors += data

    def handle_endtag(self, tag):
        self._in_errors = False

    def count(self, cls: str) -> int:
        return sum(cls in c for c in self.classes)


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install chromium); .ci/run installs it",
)
@pytest.mark.slow  # starts a browser
@pytest.mark.parametrize("name", ["tiny", "stranded-storage"])
def test_map_renders_in_headless_chromium(mapped, name, tmp_path):
    url = (mapped[name] / MAP_FILE).resolve().as_uri()
    shown = _chromium(["--dump-dom", url], tmp_path / "profile-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    dom = _Dom()
    dom.feed(shown.stdout)
    assert dom.errors.strip() == "", f"script errors on the page: {dom.errors}"
    assert dom.count("leaflet-container") == 1, "Leaflet did not start"
    sites = pd.read_csv(mapped[name] / "sites.csv")
    built = int(sites["built"].sum())
    # the page says it has finished drawing, and one marker per built site is in the DOM
    assert dom.body.get("data-dcsite-rendered") == str(built)
    assert dom.count("dcsite-site") == built
    assert dom.count("dcsite-campus") == int((sites["campus_mw"] > 1e-6).sum())
    assert dom.count("dcsite-candidate") == len(sites) - built
    assert dom.count("dcsite-metro") == len(pd.read_csv(mapped[name] / "metros.csv"))
    assert dom.count("dcsite-assignment") == len(pd.read_csv(mapped[name] / "assignments.csv"))
    assert dom.count("dcsite-region") == len(pd.read_csv(mapped[name] / "regions.csv"))
    assert dom.count("dcsite-legend") == 1 and dom.count("leaflet-control-layers") == 1

    screenshot = tmp_path / f"map-{name}.png"
    shot = _chromium(
        [f"--screenshot={screenshot}", "--window-size=1200,800", url], tmp_path / "profile-shot"
    )
    assert shot.returncode == 0 and screenshot.is_file(), shot.stderr[-2000:]
    image = mpimg.imread(screenshot)
    assert image.shape[:2] == (800, 1200)
    colours = np.unique((image[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
