"""Batch runs: a sweep of scenario variants, run locally or on a Dask cluster, resumable.

```python
from optimizer.batch import collect_summary, load_sweep, run_sweep

table = run_sweep("data/sweeps/tiny-wacc-curtailment.yaml", "runs/sweep", workers=2)
table = run_sweep(sweep, "runs/sweep", scheduler="tcp://10.0.0.5:8786", resume=True)
table = collect_summary("runs/sweep")  # rebuilt from runs/sweep/runs/*/summary.json
```

:mod:`optimizer.batch.sweep` reads and checks sweep files, :mod:`optimizer.batch.task` runs one
variant in a worker, :mod:`optimizer.batch.engine` drives Dask, and
:mod:`optimizer.batch.table` builds the summary table from the run folders.
"""

from optimizer.batch.engine import default_workers, run_sweep
from optimizer.batch.sweep import Sweep, SweepError, Variant, load_sweep, sweep_from_dict
from optimizer.batch.table import collect_summary
from optimizer.batch.task import Job, run_variant

__all__ = [
    "Job",
    "Sweep",
    "SweepError",
    "Variant",
    "collect_summary",
    "default_workers",
    "load_sweep",
    "run_sweep",
    "run_variant",
    "sweep_from_dict",
]
