"""Results of a run: the tables and summary (:mod:`.folder`, pandas only: a run folder is read
without Pyomo) and their collection from a solved model (:mod:`.collect`)."""

from optimizer.results.folder import TABLES, Results, read_summary, read_table

__all__ = ["TABLES", "Results", "read_summary", "read_table"]
