"""The evaluation matrix ``[y(a_i, b_j)]`` of a cell's first output, exactly modulo a prime.

Three paths, one cell definition (`tnrnn.cells`):

* `residue_matrix`: the engine's kernel. A jitted, fused JAX function on the default device (GPU when present,
  CPU otherwise). The side that owns step 1 is the *row* side; its leading run of consecutive steps (the prefix)
  is run once per row point (in numpy: it is cheap, and it saves a compilation), and the remaining steps once per
  pair, in tiles of rows x columns of fixed shape (one or two compilations serve every size; tiles bound the
  memory). The cell's ``step`` runs on
  `tnrnn.cells.ResidueArith`: float64 centred residues, exact for ``p < 2^21`` because every product and partial
  sum is an integer below ``2^53`` (`tnrnn.cells.arith`); or int64 residues for larger primes
  (``width (p-1)^2 < 2^63``); or, with ``dtype="extension"``, on `tnrnn.cells.ExtensionArith`: elements of
  ``GF(p^2)`` (``p = 3 mod 4``, ``p < 2^24``) as complex128 numbers ``re + im i`` whose parts are centred
  residues. x64 is enabled only inside the call (``jax.enable_x64``), never globally.
* `extension_matrix`: the same schedule in numpy over ``GF(p^2)``, for blocks too small to pay a compilation.
* `evaluation_matrix`: the same sharing of the prefix in numpy, for any cell on an arithmetic whose vectors are
  arrays (`tnrnn.cells.NumpyModular` for exact residues, `tnrnn.cells.FloatArith` for the float diagnostic).
* `reference_matrix`: every pair run through the whole recurrence with `tnrnn.cells.NumpyModular`, no sharing: the
  straightforward evaluation the tests compare the kernel with.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from tnrnn._types import Partition
from tnrnn.cells.arith import (
    ExtensionArith,
)
from tnrnn.rank._residues import (
    _arith,
    _centre,
    _centred_params,
    _inputs,
    _map_leaves,
    _pp,
    _prefix,
    check_residue_prime,
)
from tnrnn.sizes import param_count

__all__ = [
    "evaluation_matrix",
    "reference_matrix",
    "residue_matrix",
    "extension_matrix",
    "one_hot_grid",
    "one_hot_points",
    "EvaluationTimeout",
]

#: bytes of device memory a kernel call may use for its per-pair arrays
_CHUNK_BYTES = 192 * 2**20
#: bytes of working memory per pair chunk of the numpy path (int64 carries of all layers plus temporaries)
_NUMPY_CHUNK_BYTES = 96 * 2**20


class EvaluationTimeout(Exception):
    """Raised when the deadline passes during an evaluation (checked between chunks)."""


def one_hot_grid(M: int, steps: int) -> np.ndarray:
    """All ``M^steps`` one-hot assignments, shape ``(M^steps, steps, M)``, lexicographic order."""
    return one_hot_points(M, steps, np.arange(M**steps, dtype=np.int64))


def one_hot_points(M: int, steps: int, index) -> np.ndarray:
    """The one-hot assignments of the grid rows ``index`` (lexicographic numbering), shape ``(n, steps, M)``."""
    powers = M ** np.arange(steps - 1, -1, -1, dtype=np.int64)
    idx = (np.asarray(index, np.int64)[:, None] // powers[None, :]) % M
    return np.eye(M, dtype=np.int64)[idx]


_one_hot_grid = one_hot_grid  # version-1 name


def _orient(partition: Partition, a_points, b_points):
    """(rows, cols, row steps, col steps, transposed): rows are the side owning step 1."""
    side, _ = partition.prefix_side
    if side == "A":
        return a_points, b_points, partition.A, partition.B, False
    return b_points, a_points, partition.B, partition.A, True


def evaluation_matrix(cell, params, ar, partition, a_points=None, b_points=None) -> np.ndarray:
    """The matrix ``[y(a_i, b_j)]`` of a cell's first output, in numpy, the prefix shared.

    The side owning step 1 runs its leading steps once per point; the remaining steps run once per pair, in
    chunks of rows that bound the working memory.

    Parameters
    ----------
    cell : `tnrnn.cells.Cell`
    params : the cell's parameters, in the representation of ``ar`` (residues for `tnrnn.cells.NumpyModular`,
        floats for `tnrnn.cells.FloatArith`)
    ar : arithmetic whose vectors are arrays with channels on the last axis
        `tnrnn.cells.NumpyModular` (exact, int64) or ``tnrnn.cells.FloatArith(numpy)`` (float).
    partition : Partition
    a_points, b_points : arrays of shape ``(N_A, |A|, M)`` and ``(N_B, |B|, M)``
        The inputs at the time steps of each side, in increasing time order (residues for a modular arithmetic).

    Returns
    -------
    array of shape ``(N_A, N_B)``: float for float inputs, int64 otherwise.

    Notes
    -----
    The version-1 call ``evaluation_matrix(model, partition, a_points, b_points)`` with a `tnrnn.rac.ModularRAC`
    still works for one release and emits a `DeprecationWarning`.
    """
    if isinstance(params, Partition) and a_points is None:  # version 1: (model, partition, a_points, b_points)
        cell, params, ar, partition, a_points, b_points = _from_version_1(cell, params, ar, partition)
    rows, cols, row_steps, col_steps, transposed = _orient(partition, a_points, b_points)
    _, k = partition.prefix_side
    pos_r = {t: i for i, t in enumerate(row_steps)}
    pos_c = {t: i for i, t in enumerate(col_steps)}
    n_r, n_c = rows.shape[0], cols.shape[0]
    carry = cell.initial_carry(params, ar, np.zeros((n_r, cell.M), rows.dtype))
    h = None
    for t in range(1, k + 1):
        carry, h = cell.step(params, carry, rows[:, pos_r[t], :], ar)
    per_pair = cell.L * cell.R * 8 * 6
    chunk = max(1, min(n_r, _NUMPY_CHUNK_BYTES // max(1, per_pair * n_c)))
    out = np.empty((n_r, n_c), dtype=rows.dtype if rows.dtype.kind == "f" else np.int64)
    for lo in range(0, n_r, chunk):
        hi = min(n_r, lo + chunk)
        c = _map_leaves(lambda g, lo=lo, hi=hi: g[lo:hi, None, :], carry)
        for t in range(k + 1, partition.T + 1):
            x = rows[lo:hi, None, pos_r[t], :] if t in pos_r else cols[None, :, pos_c[t], :]
            c, h = cell.step(params, c, x, ar)
        out[lo:hi] = ar.first(cell.readout(params, h, ar))
    return out.T if transposed else out


def _from_version_1(model, partition, a_points, b_points):
    """``(cell, params, ar, partition, a, b)`` for the version-1 call with a `tnrnn.rac.ModularRAC`."""
    import warnings

    from tnrnn.cells.arith import NumpyModular
    from tnrnn.cells.rac import RAC, Rac

    warnings.warn(
        "evaluation_matrix(model, partition, a, b) is deprecated; use evaluation_matrix(cell, params, ar, "
        "partition, a, b) with a tnrnn.cells.Cell, its parameters and an arithmetic",
        DeprecationWarning,
        stacklevel=3,
    )
    if not all(hasattr(model, n) for n in ("W_I", "W_H", "W_O", "p")):
        raise TypeError("evaluation_matrix(cell, params, ar, partition, a_points, b_points): pass a tnrnn.cells.Cell")
    cell = Rac(model.M, model.R, model.L, model.K)
    params = RAC(tuple(model.W_I), tuple(model.W_H), model.W_O)
    return cell, params, NumpyModular(model.p), partition, a_points, b_points


def reference_matrix(cell, params, partition: Partition, a_points, b_points, p: int) -> np.ndarray:
    """``[y(a_i, b_j)] mod p`` with every pair run through the whole recurrence (numpy int64, no sharing)."""
    T = partition.T
    n_a, n_b = a_points.shape[0], b_points.shape[0]
    xs = np.zeros((n_a, n_b, T, cell.M), np.int64)
    for i, t in enumerate(partition.A):
        xs[:, :, t - 1, :] = a_points[:, None, i, :]
    for j, t in enumerate(partition.B):
        xs[:, :, t - 1, :] = b_points[None, :, j, :]
    return np.asarray(cell.modular_forward(params, xs, p))


# ---------------------------------------------------------------------------------------------------------------
# the jitted kernel

_KERNELS: dict = {}


#: steps fused into the last kernel call at most. XLA's compile time grows much faster than linearly in the number of
#: unrolled steps (16: about 6 s on the 2-core CPU; 24: over 5 minutes), and a fused kernel with several outputs
#: (a carry) recomputes their shared work once per output (8x slower for a depth-2, width-4 carry). So a longer
#: schedule runs its first steps one per call (a one-step cone is cheap to recompute), then the last
#: ``_GROUP`` steps (fewer for a large cell, `_FUSE_SIZE`) in one fused call with a single output.
_GROUP = 16
#: the same over GF(p^2), whose steps are about three times the operations. Measured with one complex array per
#: channel (`tnrnn.cells.ExtensionArith`) at N = 1024 on the 2-core CPU, in ns per pair and step: a schedule fused
#: whole, or in calls of up to 16 steps, runs 3x to 4.5x faster than in calls of 4 ((L, M, R, T) = (3, 3, 3, 14):
#: 11.9 against 37.8; (2, 2, 4, 12): 6.1 against 20.8; (2, 2, 4, 20): 7.5 against 33.9; (2, 2, 3, 36) in 16: 10.0,
#: (2, 2, 1, 28) whole: 1.9 against 5.3), since the steps before the last call each return the whole carry, which XLA
#: computes once per carried channel. XLA's CPU code for one call collapses past a size or a depth of fused layers:
#: (2, 4, 2) at 12 steps (size 720) 51 against 24 at 10 (size 600); (2, 3, 4) at 10 steps (size 720, 40 layer
#: steps) 790; (2, 2, 4) at 16 steps (size 544, 64 layer steps) 231 against 20 at 12. Hence at most 16 steps,
#: `_FUSE_SIZE`, and `_FUSE_LAYER_STEPS` steps x layers; compilation stays within 1 to 10 s. At the corners of that
#: rule, against calls of 4: (4, 2, 4, 24) in 12 (size 600, 48 layer steps) 13.8 against 60.7; (4, 3, 4, 14) whole
#: 14.2 against 49.0; (4, 4, 2, 16) whole 19.4 against 59.0. This is the rule of XLA's fusion emitters: on the CPU a
#: GF(p^2) schedule it would split runs whole with the loop emitter instead (`_calls`, `_LOOP_EMITTER`).
_GROUP_EXTENSION = 16
_FUSE_LAYER_STEPS = 48
#: the largest fused call, in parameter entries times steps (`tnrnn.sizes.param_count`), for the prime field and
#: for GF(p^2). Past a size XLA's CPU code for one call does not slow down gradually but collapses. Prime field,
#: measured at N = 1024 (M = 3 unless named): (L, R, steps) = (4, 4, 8) (M = 2), 992, 0.45 s, but (4, 4, 12), 1488,
#: and (3, 4, 16), 1472, over a minute; (4, 3, 16), 1200, 3.2x slower than groups of 8. GF(p^2): above; (4, 4, 3)
#: (M = 4) at 6 steps, 600, and (4, 4, 4) (M = 3) at 4, 528, run at 15.6 and 23.6 ns per pair and step.
_FUSE_SIZE = {"float64": 1024, "int64": 1024, "extension": 600}


def _fused_steps(cell, steps: int, dtype: str) -> int:
    """Steps per fused kernel call for a schedule of ``steps`` steps (see `_GROUP`, `_GROUP_EXTENSION`)."""
    fit = max(1, _FUSE_SIZE[dtype] // max(1, param_count(cell)))  # parameters: the work of one step, all layers
    if dtype != "extension":
        return min(_GROUP, fit)
    return max(1, min(steps, _GROUP_EXTENSION, fit, _FUSE_LAYER_STEPS // cell.L))


#: XLA's loop emitter (the CPU backend's code generator before its fusion emitters), per kernel: over GF(p^2) its
#: code for one fused call does not collapse with the call's size. Measured at N = 1024 on the 2-core CPU, ns per
#: pair and step, a schedule the fusion emitters split (`_fused_steps`) against the whole schedule in one call with
#: the loop emitter, (L, M, R, T) start-end: (2, 2, 4, 34) 26.0 against 11.6; (2, 2, 3, 36) 11.7 against 7.8;
#: (4, 2, 2, 36) 17.4 against 7.7; (3, 4, 4, 20) 44.8 against 16.0; (4, 2, 4, 24) 90.3 against 20.8; (4, 4, 4, 36)
#: 150 against 28.1; interleaved (4, 4, 4, 36), 35 steps, 182 against 29.8 (compiled in 16 s). Where the fusion
#: emitters fit the whole schedule in one call they stay (the loop emitter's call was 0.77x to 1.0x as fast there:
#: (4, 4, 2, 16) 8.1 against 10.5, (2, 3, 4, 18) 11.1 against 13.5).
#: The prime field's float64 kernel the same, at N = 2048: (4, 4, 4, 16) 15.3 against 6.6 (calls of 7 steps);
#: (4, 3, 4, 24) 23.7 against 5.5; (4, 2, 4, 24) 24.1 against 5.4; (4, 2, 2, 36) 3.6 against 2.7; (2, 2, 4, 34) 3.0
#: against 2.6 (calls of 16); where one call fits, 0.85x to 0.94x ((3, 3, 3, 14), (3, 4, 4, 20)): kept. The int64
#: kernel (word-size primes) is not measured and keeps the fusion emitters.
_LOOP_EMITTER = {"xla_cpu_use_fusion_emitters": False}
_LOOP_DTYPES = ("extension", "float64")
#: steps per call with the loop emitter at most (its compilation grows with the call: 16 s for 35 steps of the
#: largest frontier cell); longer schedules run in calls of this many
_LOOP_GROUP = 36


def _calls(cell, steps: int, dtype: str, *, start_jax: bool = True) -> tuple[int, bool]:
    """``(steps per call, loop emitter)`` for a schedule of ``steps`` steps on JAX's default backend.

    A GF(p^2) or float64 prime-field schedule that the fusion emitters would split (`_fused_steps`) runs whole (up to
    `_LOOP_GROUP` steps a call) with XLA's loop emitter on the CPU; everything else as `_fused_steps` says.
    ``start_jax=False`` (a plan, which sizes a request before any work): while JAX is not imported, the CPU's answer
    is assumed rather than starting JAX to ask.
    """
    group = _fused_steps(cell, steps, dtype)
    if dtype in _LOOP_DTYPES and group < steps and (_cpu_backend() if start_jax or "jax" in sys.modules else True):
        return min(steps, _LOOP_GROUP), True
    return group, False


def _cpu_backend() -> bool:
    """JAX's default backend is the CPU, and its XLA knows the loop-emitter option (`_loop_emitter_known`)."""
    import jax

    return jax.default_backend() == "cpu" and _loop_emitter_known()


_LOOP_KNOWN: list[bool] = []


def _loop_emitter_known() -> bool:
    """Whether this jaxlib's XLA accepts `_LOOP_EMITTER` (older releases have no such option): compiled once."""
    if not _LOOP_KNOWN:
        import jax
        import jax.numpy as jnp

        try:
            jax.jit(lambda x: x + 1, compiler_options=_LOOP_EMITTER)(jnp.zeros(1))
            _LOOP_KNOWN.append(True)
        except Exception:  # noqa: BLE001 - any refusal means: keep the fusion emitters' calls
            _LOOP_KNOWN.append(False)
    return _LOOP_KNOWN[0]


def _pair_fn(cell, steps: tuple[str, ...], dtype: str, first: bool, last: bool, loop: bool = False):
    """A jitted kernel running ``steps`` ("r"/"c" per step) for a tile of pairs.

    ``first``: the carry comes from the prefix (leaves of shape ``(rows,)``); otherwise it is a full ``(rows,
    cols)`` carry from the previous call. ``last``: return the first output; otherwise the carry. ``loop``: compiled
    with XLA's loop emitter (`_LOOP_EMITTER`, CPU only).
    """
    key = ("pairs", cell, steps, dtype, first, last, loop)
    if key not in _KERNELS:
        import jax
        import jax.numpy as jnp

        M = cell.M

        def pairs(params, carry, rows, cols, pp):  # rows (c, nr, M), cols (n, nc, M): this call's inputs only
            ar = _arith(pp, dtype)
            shape = (rows.shape[0], cols.shape[0])
            c = jax.tree_util.tree_map(lambda v: v[:, None], carry) if first else carry
            ir = ic = 0
            h = None
            for side in steps:
                if side == "r":
                    x = _inputs(rows, ir, M, lambda v: v[:, None])
                    ir += 1
                else:
                    x = _inputs(cols, ic, M, lambda v: v[None, :])
                    ic += 1
                c, h = cell.step(params, c, x, ar)
            if last:
                return jnp.broadcast_to(ar.first(cell.readout(params, h, ar)), shape)
            return jax.tree_util.tree_map(lambda v: jnp.broadcast_to(jnp.asarray(v, rows.dtype), shape), c)

        _KERNELS[key] = jax.jit(pairs, compiler_options=_LOOP_EMITTER if loop else None)
    return _KERNELS[key]


def _groups(schedule: tuple[str, ...], group: int = _GROUP):
    """The kernel calls of a schedule: ``(steps, first row index, first column index)``; see `_GROUP`."""
    head = len(schedule) - group
    cuts = [(i, i + 1) for i in range(max(0, head))] + [(max(0, head), len(schedule))]
    out = []
    for lo, hi in cuts:
        steps = schedule[lo:hi]
        out.append((steps, schedule[:lo].count("r"), schedule[:lo].count("c")))
    return out


def _chunk_rows(cell, n_cols: int, parts: int = 1) -> int:
    live = 3 * cell.L * cell.R + 2 * cell.M + 4  # per-pair arrays alive at once, generously
    return max(1, _CHUNK_BYTES // (8 * parts * live * max(1, n_cols)))


def residue_matrix(
    cell,
    params,
    partition: Partition,
    a_points: np.ndarray,
    b_points: np.ndarray,
    p: int,
    *,
    dtype: str = "float64",
    out: np.ndarray | None = None,
    row_offset: int = 0,
    col_offset: int = 0,
    deadline: float | None = None,
    progress=None,
) -> np.ndarray:
    """``[y(a_i, b_j)] mod p`` by the jitted kernel on JAX's default device.

    Parameters
    ----------
    cell : `tnrnn.cells.Cell`
    params : the cell's parameters as integer residues modulo ``p`` (`Cell.random_residues`)
    partition : Partition
    a_points, b_points : integer arrays ``(N_A, |A|, M)`` and ``(N_B, |B|, M)`` (residues modulo ``p``)
    p : int
        ``p < 2^21`` for ``dtype="float64"``; ``width (p-1)^2 < 2^63`` for ``"int64"``; ``p = 3 mod 4`` below
        ``2^24`` for ``"extension"``.
    dtype : {"float64", "int64", "extension"}
        The residue arithmetic (`tnrnn.cells.ResidueArith`), or ``GF(p^2)`` (`tnrnn.cells.ExtensionArith`): then
        the parameters and points carry their two parts on a trailing axis of size 2 and the matrix is complex.
    out : array, optional
        Write into ``out[row_offset:, col_offset:]`` in the orientation of ``(a, b)``; a new array otherwise.
    deadline : float, optional
        ``time.monotonic()`` value; `EvaluationTimeout` is raised between chunks after it.
    progress : callable, optional
        ``progress(rows_done, rows)`` after each chunk.

    Returns
    -------
    array ``(N_A, N_B)``: float64 centred residues (``|y| <= p/2``) or int64 residues in ``[0, p)``; complex
    (``re + im i``, centred parts) for ``"extension"``. All are the exact values of the first output.
    """
    import jax

    check_residue_prime(cell, p, dtype)
    rows, cols, row_steps, col_steps, transposed = _orient(partition, a_points, b_points)
    _, k = partition.prefix_side
    row_set = set(row_steps)
    schedule = tuple("r" if t in row_set else "c" for t in range(k + 1, partition.T + 1))
    n_r, n_c = rows.shape[0], cols.shape[0]
    np_dtype = {"float64": np.float64, "int64": np.int64, "extension": np.complex128}[dtype]
    if out is None:
        out = np.empty((a_points.shape[0], b_points.shape[0]), np_dtype)
        row_offset = col_offset = 0
    target = out.T if transposed else out
    r_off, c_off = (col_offset, row_offset) if transposed else (row_offset, col_offset)
    with jax.enable_x64(True):
        host_params, dparams = _centred_params(params, p, dtype)
        pp = _pp(p, dtype)
        # fixed tile shapes: one or two compilations serve every matrix size of a run
        tile_c = _COL_TILES[0] if n_c <= _COL_TILES[0] else _COL_TILES[1]
        tile_r = _row_tile(cell, tile_c, 2 if dtype == "extension" else 1)
        n_rp = -(-n_r // tile_r) * tile_r
        n_cp = -(-n_c // tile_c) * tile_c
        # the inputs and the prefix stay in host memory; each kernel call takes its tile (slicing a device array
        # would compile a slice per shape)
        rows_c = _pad(_centre(rows, p, dtype), n_rp)
        cols_c = _pad(_centre(cols, p, dtype), n_cp)
        carry = _prefix(cell, host_params, rows_c[:, :k, :], k, p, dtype)
        rest_rows = rows_c[:, k:, :]
        group, loop = _calls(cell, len(schedule), dtype)
        groups = _groups(schedule, group)
        last = len(groups) - 1
        kerns = [_pair_fn(cell, steps, dtype, g == 0, g == last, loop) for g, (steps, _, _) in enumerate(groups)]
        total = (-(-n_r // tile_r)) * (n_cp // tile_c)
        pending, done = None, 0
        for lo in range(0, n_r, tile_r):
            c_rows = _map_leaves(lambda v, lo=lo: v[lo : lo + tile_r], carry)
            for clo in range(0, n_c, tile_c):
                if deadline is not None and time.monotonic() > deadline:
                    raise EvaluationTimeout()
                res = c_rows
                for kern, (steps, ir, ic) in zip(kerns, groups, strict=True):
                    nr, nc = steps.count("r"), steps.count("c")
                    res = kern(
                        dparams,
                        res,
                        rest_rows[lo : lo + tile_r, ir : ir + nr],
                        cols_c[clo : clo + tile_c, ic : ic + nc],
                        pp,
                    )
                if pending is not None:  # copy the previous tile while this one computes
                    _store(target, pending, r_off, c_off, n_r, n_c)
                    done += 1
                    if progress is not None:
                        progress(done, total)
                pending = (lo, clo, res)
        _store(target, pending, r_off, c_off, n_r, n_c)
        if progress is not None:
            progress(total, total)
    return out


#: column tile widths of the pair kernel (the narrow one for small blocks; 1024 pads 8568 columns by 7.5%, 4096
#: padded them by 43%)
_COL_TILES = (512, 1024)
#: most rows per kernel call
_MAX_ROW_TILE = 512


def _row_tile(cell, tile_c: int, parts: int = 1) -> int:
    """Rows per kernel call: a multiple of 8, within the chunk memory budget."""
    return max(8, min(_MAX_ROW_TILE, _chunk_rows(cell, tile_c, parts)) // 8 * 8)


def extension_matrix(
    cell, params, partition: Partition, a_points, b_points, p: int, *, out=None, row_offset=0, col_offset=0
) -> np.ndarray:
    """``[y(a_i, b_j)]`` over ``GF(p^2)`` in numpy (no compilation): `residue_matrix`'s schedule and arithmetic.

    Same inputs and result as ``residue_matrix(..., dtype="extension")``; for blocks small enough that a JAX
    compilation would cost more than the evaluation.
    """
    check_residue_prime(cell, p, "extension")
    rows, cols, row_steps, col_steps, transposed = _orient(partition, a_points, b_points)
    _, k = partition.prefix_side
    row_set = set(row_steps)
    schedule = tuple("r" if t in row_set else "c" for t in range(k + 1, partition.T + 1))
    if out is None:
        out = np.empty((a_points.shape[0], b_points.shape[0]), np.complex128)
        row_offset = col_offset = 0
    target = out.T if transposed else out
    r_off, c_off = (col_offset, row_offset) if transposed else (row_offset, col_offset)
    host, _ = _centred_params(params, p, "extension")
    rows_c, cols_c = _centre(rows, p, "extension"), _centre(cols, p, "extension")
    carry = _prefix(cell, host, rows_c[:, :k], k, p, "extension")
    ar = ExtensionArith(p, np)
    n_r, n_c = rows.shape[0], cols.shape[0]
    chunk = max(1, min(n_r, _NUMPY_CHUNK_BYTES // (16 * (3 * cell.L * cell.R + 4) * max(1, n_c))))
    for lo in range(0, n_r, chunk):
        c = _map_leaves(lambda v, lo=lo: v[lo : lo + chunk, None], carry)
        ir = ic = 0
        h = None
        for side in schedule:
            if side == "r":
                x = _inputs(rows_c[lo : lo + chunk, k:], ir, cell.M, lambda v: v[:, None])
                ir += 1
            else:
                x = _inputs(cols_c, ic, cell.M, lambda v: v[None, :])
                ic += 1
            c, h = cell.step(host, c, x, ar)
        n = min(chunk, n_r - lo)
        target[r_off + lo : r_off + lo + n, c_off : c_off + n_c] = ar.first(cell.readout(host, h, ar))
    return out


def _store(target, pending, r_off, c_off, n_r, n_c):
    lo, clo, res = pending
    hi = min(n_r, lo + res.shape[0])
    chi = min(n_c, clo + res.shape[1])
    target[r_off + lo : r_off + hi, c_off + clo : c_off + chi] = np.asarray(res)[: hi - lo, : chi - clo]


def _pad(x: np.ndarray, n: int) -> np.ndarray:
    """Pad the leading axis to ``n`` rows (zeros), so every chunk has one shape and one compilation."""
    if x.shape[0] == n:
        return x
    return np.concatenate([x, np.zeros((n - x.shape[0], *x.shape[1:]), x.dtype)])
