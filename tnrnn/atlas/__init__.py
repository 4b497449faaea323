r"""The rank atlas: a persistent store of certified separation ranks, and sweeps that fill it (local or on Dask).

Exact ranks are expensive and are asked for again and again. The atlas is one SQLite file holding every
`tnrnn.rank.RankResult` computed so far, keyed by every input that determines it; `separation_rank(..., cache=...)`,
``tnrnn rank``, ``tnrnn table`` and ``tnrnn figures`` look a result up before computing it and store what they
compute. ``tnrnn atlas`` lists, queries, exports and merges atlases.

The file itself, its keys and where it lives are described in `tnrnn.rank.store` (every name of which this module
re-exports: `Atlas`, `make_key`, `open_atlas`, ...). This module adds the sweeps, merging, export and the command
line's operations.

Sweeps
------
`run_sweep` computes a list of cells: first from the atlas, then the rest serially, in ``jobs`` local worker
processes (spawned, each limited to ``cores // jobs`` BLAS/XLA threads so that the workers do not oversubscribe the
machine), or on a Dask cluster (``scheduler=ADDRESS``). Cells run longest first by the cost model of
`tnrnn.rank.plan` (or in increasing ``T`` with ``order="T"``); each finished cell is stored at once, so an
interrupted sweep keeps what it finished and a rerun resumes (an interrupt raises `SweepInterrupted`, which says how
many cells were kept; worker processes ignore SIGINT and are stopped by the parent, and they end with the parent
whatever kills it, SIGKILL included, so that no worker outlives a sweep). A per-cell ``timeout`` records
partial results as such; ``frontier=True`` skips the larger ``T`` of a series once one of its cells was partial or
refused. Workers also take the parent's ``JAX_ENABLE_X64`` and JAX compilation-cache settings from its environment
(``tnrnn table`` sets them), so that a kernel compiled by one worker is loaded by the other.

Running a sweep on a cluster
----------------------------
Install ``tnrnn[distributed]`` (the same version) on the scheduler, the workers and the submitting machine. Start
one single-threaded worker per core, so that the workers do not oversubscribe the cores::

    dask scheduler --port 8786                                          # on the head node
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
      XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
      dask worker tcp://HEAD:8786 --nworkers auto --nthreads 1          # on each compute node
    tnrnn table --L 1,2,3,4 --M 2,3,4 --R 2,3,4 --T 2,4,6,8 --scheduler tcp://HEAD:8786 --timeout 600

(on a batch system, ``dask_jobqueue.SLURMCluster(...).scheduler_address`` gives the address). The cells the local
atlas already holds are not sent; results come back to the submitting process, which stores them in its atlas.
When that process goes away, however it ends (SIGKILL included), the scheduler releases its cells: those not
started never run, and a running one finishes (within ``--timeout``) with its result dropped. The address is checked
before any work (`check_scheduler`).
Atlases made on several machines are combined with ``tnrnn atlas merge``.
"""

from __future__ import annotations

from tnrnn.atlas.cache import (
    cached_bounds_with_min_cuts,
    cached_min_cut,
    cached_min_cut_or_reason,
    cached_separation_rank,
    key_defaults,
)
from tnrnn.atlas.distributed import (
    SCHEDULER_PROTOCOLS,
    check_scheduler,
)
from tnrnn.atlas.export import (
    EXPORT_COLUMNS,
    EXPORT_FORMATS,
    QUERY_COLUMNS,
    AtlasQuery,
    AtlasRecords,
    export_rows,
    format_rows,
    write_atomic,
)
from tnrnn.atlas.files import (
    FILTERS,
    cache_argument,
    check_filters,
    export_atlas,
    merge_atlas_files,
    query_atlas,
)
from tnrnn.atlas.merge import (
    merge_atlases,
)
from tnrnn.atlas.sweep import (
    ORDERS,
    CellSpec,
    SweepInterrupted,
    run_sweep,
)
from tnrnn.rank.store import (
    CUT_VERSION,
    ENGINE_VERSION,
    KEY_DEFAULTS,
    KEY_FIELDS,
    MIN_CUT_FIELDS,
    OPTIONAL_KEYS,
    SCHEMA_VERSION,
    Atlas,
    AtlasUnavailable,
    AtlasWarning,
    cached_call,
    default_atlas_path,
    make_key,
    min_cut_key,
    open_atlas,
    result_from_dict,
)

__all__ = [
    "Atlas",
    "AtlasWarning",
    "AtlasUnavailable",
    "CellSpec",
    "ENGINE_VERSION",
    "SCHEMA_VERSION",
    "KEY_FIELDS",
    "OPTIONAL_KEYS",
    "key_defaults",
    "EXPORT_COLUMNS",
    "cached_separation_rank",
    "cached_min_cut",
    "cached_min_cut_or_reason",
    "cached_bounds_with_min_cuts",
    "min_cut_key",
    "CUT_VERSION",
    "KEY_DEFAULTS",
    "MIN_CUT_FIELDS",
    "SweepInterrupted",
    "default_atlas_path",
    "open_atlas",
    "make_key",
    "result_from_dict",
    "run_sweep",
    "check_scheduler",
    "merge_atlases",
    "export_rows",
    "AtlasRecords",
    "query_atlas",
    "AtlasQuery",
    "format_rows",
    "write_atomic",
    "FILTERS",
    "cache_argument",
    "check_filters",
    "export_atlas",
    "merge_atlas_files",
    "query_atlas",
    "ORDERS",
    "SCHEDULER_PROTOCOLS",
    "EXPORT_FORMATS",
    "QUERY_COLUMNS",
    "cached_call",
]
