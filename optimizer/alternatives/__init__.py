"""Near-optimal alternatives of a run (modelling to generate alternatives, issue 13 item 3).

Within a slack of the run's cost (default 2 %), the least and the most campus MW any plan
gives each BA and each of the largest sites of the run, with a verdict (essential,
interchangeable, avoidable), and a handful of maximally different plans (Hop-Skip-Jump: plan i
minimises the campus MW at every site used by the run's plan and plans 1..i-1).

```python
from optimizer.alternatives import run_alternatives

summary = run_alternatives("runs/us-default", slack_pct=2, workers=2, data_dir="../shared/data")
```

:mod:`.problem` holds the math (the cost row and the objectives) and the per-worker HiGHS model,
:mod:`.ranges` the ranges and verdicts, :mod:`.worker` the task a worker runs, :mod:`.run` the
driver and the folder it writes, :mod:`.outputs` the map layer and the plot.
"""

from optimizer.alternatives.ranges import VERDICTS, Entity, Ranges, entities
from optimizer.alternatives.run import ALTERNATIVES_DIR, run_alternatives

__all__ = ["ALTERNATIVES_DIR", "VERDICTS", "Entity", "Ranges", "entities", "run_alternatives"]
