"""dcsite: where should the next GPU capacity go?

Public API: data loaders (:mod:`optimizer.inputs`), stranded power and headroom
(:mod:`optimizer.stranded.headroom`).
"""

from optimizer.errors import DataError, DcsiteError, InputError
from optimizer.stranded.headroom import (
    headroom_mw,
    headroom_table,
    stranded_power,
    stranded_power_by_ba,
    stranded_power_mw,
)

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "DcsiteError",
    "InputError",
    "headroom_mw",
    "headroom_table",
    "stranded_power",
    "stranded_power_by_ba",
    "stranded_power_mw",
]
