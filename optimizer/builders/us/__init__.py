"""The default US scenario from public data: candidate sites (:mod:`.sites`), latency over
backbone networks (:mod:`.latency`), representative days (:mod:`.timeseries`), assembled by
:mod:`.scenario`."""
