"""The settings of the linear-RNN experiments (`tnrnn.linear.experiments`): ``full`` and ``quick``, with their teachers.

Re-exported by `tnrnn.linear.experiments`.
"""

from __future__ import annotations

__all__ = ["SETTINGS"]

_TEACHERS_EQ = [
    {"name": "geometric a=0.8", "kind": "geometric", "a": 0.8},
    {"name": "spike d=10", "kind": "spike", "delay": 10},
]
_TEACHERS_SWEEP = [
    {"name": "geometric a=0.5", "kind": "geometric", "a": 0.5},
    {"name": "geometric a=0.9", "kind": "geometric", "a": 0.9},
    {"name": "spike d=10", "kind": "spike", "delay": 10},
    {"name": "spike d=20", "kind": "spike", "delay": 20},
    {"name": "ssm r=0.9", "kind": "ssm", "r": 0.9, "order": 4, "seed": 7},
]
_RHO2_SWEEP = [0.1, 0.25, 0.5, 0.7, 0.81, 0.9, 0.95, 0.99]

#: experiment settings; ``quick`` is a smoke-sized run of the same code (minutes → seconds)
SETTINGS = {
    "full": {
        "ntk": {"widths": [250, 1000, 4000], "seeds": list(range(6)), "rho2s": [0.5], "J": 10},
        "equivalence": {
            "widths": [250, 1000],
            "rho2s": [0.5, 0.9],
            "teachers": _TEACHERS_EQ,
            "seeds": [0],
            "T": 30,
            "N": 20,
            "steps": 400,
            "lr": 0.1,
            "record_every": 5,
            "data_seed": 100,
        },
        "sweep": {
            "rho2s": _RHO2_SWEEP,
            "teachers": _TEACHERS_SWEEP,
            "seeds": [0, 1, 2],
            "width": 128,
            "T": 50,
            "N": 2,
            "N_test": 50,
            "steps": 400,
            "lr": 0.1,
            "snr_db": 15.0,
        },
        "sunspots": {
            "rho2s": _RHO2_SWEEP,
            "seeds": [0, 1, 2],
            "width": 128,
            "T": 40,
            "stride": 10,
            "train_until": 1900,
            "steps": 400,
            "lr": 0.1,
        },
    },
    "quick": {
        "ntk": {"widths": [100, 400], "seeds": [0, 1], "rho2s": [0.5], "J": 6},
        "equivalence": {
            "widths": [100],
            "rho2s": [0.5],
            "teachers": _TEACHERS_EQ[:1],
            "seeds": [0],
            "T": 20,
            "N": 10,
            "steps": 50,
            "lr": 0.1,
            "record_every": 5,
            "data_seed": 100,
        },
        "sweep": {
            "rho2s": [0.25, 0.9],
            "teachers": _TEACHERS_SWEEP[:1] + _TEACHERS_SWEEP[3:4],
            "seeds": [0],
            "width": 64,
            "T": 30,
            "N": 2,
            "N_test": 10,
            "steps": 50,
            "lr": 0.1,
            "snr_db": 15.0,
        },
        "sunspots": {
            "rho2s": [0.25, 0.9],
            "seeds": [0],
            "width": 64,
            "T": 40,
            "stride": 10,
            "train_until": 1900,
            "steps": 50,
            "lr": 0.1,
        },
    },
}
