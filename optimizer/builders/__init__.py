"""Scenarios built from public data (today the default US scenario, :mod:`.us`)."""
