"""The small tables we author (data/): complete for every lower-48 load BA, each row sourced."""

from __future__ import annotations

import pandas as pd

from optimizer.inputs.project import PROJECT_DATA_DIR
from optimizer.inputs.regions import ba_utc_offsets_h, state_codes
from optimizer.inputs.registry import BAS_ALL


def test_every_load_ba_has_a_time_zone_and_costs_with_sources():
    assert set(ba_utc_offsets_h()) == set(BAS_ALL)
    costs = pd.read_csv(PROJECT_DATA_DIR / "costs" / "regions.csv")
    assert sorted(costs["region"]) == sorted(BAS_ALL)
    assert costs["energy_price_usd_per_mwh"].between(20, 400).all()
    assert costs["firm_capacity_usd_per_mw_year"].between(0, 400_000).all()
    for column in ("firm_capacity_source", "energy_price_source"):
        assert costs[column].str.len().min() > 80, column  # a source, not a placeholder


def test_state_codes_cover_the_states_and_territories():
    codes = state_codes()
    assert len(codes) == 56 and codes["48"] == "TX" and codes["11"] == "DC"
    assert len(set(codes.values())) == 56
