"""The ``tnrnn`` command: a thin layer over the public API (no logic of its own).

One module per verb group (`tnrnn.cli.rank`; `structure`: bounds, network, cut, draw; `table`; `experiment`;
`linear`; `figures`; `atlas`), each declaring its verbs' arguments and registering them in `VERBS`; the shared
flags and validators in `tnrnn.cli._args`; parsing, dispatch, output, errors and signals in `tnrnn.cli._runtime`
(its notes give the error rules). ``tnrnn.cli:main`` is the console script.
"""

from __future__ import annotations

from tnrnn.cli import atlas, experiment, figures, linear, rank, structure, table  # each registers its verbs
from tnrnn.cli._args import VERBS, _float_list, _float_set, _int_list, _name_list
from tnrnn.cli._runtime import (
    _on_sigterm,
    _redeliver_signals,
    _Terminated,
    _warning_printer,
    build_parser,
    main,
)
from tnrnn.cli.experiment import _CELLS, _OPTIMIZERS, _TASKS, _TRAIN_DEFAULTS
from tnrnn.cli.linear import _LINEAR_PARTS, _PARAMS
from tnrnn.cli.structure import _add_bounds

__all__ = ["main", "build_parser", "VERBS"]

#: the verb modules (imported above for their registrations) and the names tests and scripts use from ``tnrnn.cli``
_MODULES = (atlas, experiment, figures, linear, rank, structure, table)
_COMPAT = (
    _float_list,
    _float_set,
    _int_list,
    _name_list,
    _on_sigterm,
    _redeliver_signals,
    _Terminated,
    _warning_printer,
    _CELLS,
    _OPTIMIZERS,
    _TASKS,
    _TRAIN_DEFAULTS,
    _LINEAR_PARTS,
    _PARAMS,
    _add_bounds,
)
