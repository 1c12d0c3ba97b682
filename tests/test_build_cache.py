"""Shared builds of a built scenario: one build per build key, stored atomically, read back the
same by every scenario of the key, and the same scenario as a build without the cache."""

from __future__ import annotations

import pytest

from optimizer.builders.us.cache import META_FILE, cached_build
from optimizer.builders.us.settings import DEFAULT_SCENARIO, build_key, load_us_config
from optimizer.pipeline import prepare
from optimizer.source import Source

SMALL = ["build.bas=[ERCO,SWPP]", "build.n_metros=15"]


def test_the_build_key_follows_only_what_the_builder_reads():
    base = build_key(load_us_config(DEFAULT_SCENARIO, SMALL))
    same = ["training.target_mw=2500", "training.curtailment_budget_pct=5", "finance.wacc_pct=9",
            "solver.time_limit_s=5"]  # fmt: skip
    for text in same:
        assert build_key(load_us_config(DEFAULT_SCENARIO, [*SMALL, text])) == base, text
    other = ["build.n_metros=16", "build.n_typical_days=3", "latency.route_factor=1.4",
             "inference.latency_max_ms=10"]  # fmt: skip
    keys = {build_key(load_us_config(DEFAULT_SCENARIO, [*SMALL, text])) for text in other}
    assert len(keys) == len(other) and base not in keys


@pytest.mark.realdata
def test_one_build_per_key_shared_through_the_cache_folder(data_dir, tmp_path):
    cache = tmp_path / "cache"
    config = load_us_config(DEFAULT_SCENARIO, SMALL)
    _, first = cached_build(config, data_dir, cache)
    assert not first["reused"] and first["key"] == build_key(config) and first["seconds"] > 0
    assert [p.name for p in cache.iterdir()] == [first["key"]]  # no temporary folder left
    assert (cache / first["key"] / META_FILE).is_file()

    cheaper = Source.of(DEFAULT_SCENARIO, [*SMALL, "training.target_mw=2500"])
    shared = prepare(cheaper, data_dir, cache_dir=cache)
    assert shared.info["build"] == {**first, "reused": True}
    assert set(shared.stage_seconds) == {"shared build load", "assemble"}
    assert shared.full_year is not None and len(shared.full_year.timesteps) == 8784

    alone = prepare(cheaper, data_dir)  # built here, without the cache
    assert not alone.info["build"]["reused"] and {"sites", "latency"} <= set(alone.stage_seconds)
    assert alone.scenario.hash() == shared.scenario.hash()
    assert alone.full_year.hash() == shared.full_year.hash()
    for name, table in alone.tables.items():
        assert table.astype(str).equals(shared.tables[name].astype(str)), name


def test_a_changed_source_or_table_gives_a_new_build_key(monkeypatch):
    """The key holds a digest of the package's source and the tables in data/: a changed file
    never reuses a shared build made before the change."""
    from optimizer.builders.us import settings

    config = load_us_config(DEFAULT_SCENARIO, SMALL)
    before = build_key(config)
    assert settings.builder_digest() == settings.builder_digest()  # stable
    monkeypatch.setattr(settings, "builder_digest", lambda: "another")
    assert build_key(config) != before
