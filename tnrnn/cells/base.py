"""The cell protocol: one definition of a recurrent cell serves the float model, the exact rank engine and more.

A cell is a frozen dataclass holding static sizes (``M`` inputs, ``R`` channels per layer, ``L`` layers, ``K``
outputs) and four methods written once against an arithmetic (`tnrnn.cells.arith`)::

    param_shapes()                          -> {name: shape or tuple of shapes}
    initial_carry(params, ar, like)         -> carry before step 1 (the cell's first-step convention)
    step(params, carry, x, ar)              -> (carry, h_top)      one time step through all layers
    readout(params, h_top, ar)              -> the K outputs

Parameters are a pytree (`make_params` builds it from arrays named as in `param_shapes`); random float weights
(`init`), random residues modulo a prime (`random_residues`) and the output's total degree (`output_degree`) are
derived from those four methods for every cell, so a new polynomial cell needs nothing else to get exact ranks.

**Your own cell.** Subclass `Cell` as a frozen dataclass, give it a ``name`` (and, to use it by name, decorate it
with `register_cell`), declare ``param_shapes`` and write ``initial_carry``, ``step`` and ``readout`` with the
arithmetic operations only (`Arithmetic`: ``ar.matvec``, ``ar.mul``, ``ar.add``, ``ar.scale``, ``ar.param``,
``ar.bilinear``, ``ar.ones``, ``ar.zeros``, ``ar.const``, ``ar.first``; never index a vector, never branch on a
value). Then
``tnrnn.rank.separation_rank(M, R, L, T, domain=..., cell=MyCell(M, R, L))`` gives certified exact ranks, and
`Cell.proven_upper_bounds` gives upper bounds derived from the step (`tnrnn.cells.bounds`), which the engine uses
to cap its samples and to prove ranks; override it to add sharper bounds, and override `Cell.width` if the cell
sums more products in one operation than its widest matrix has columns. A worked example:
``examples/custom_cell.py`` in the repository.

**Your cell in the rank atlas.** A stored rank is keyed by what defines the cell, not only by its name
(`cell_identity`): a cell in a module of its own is fingerprinted by its source and the code of its methods, so
redefining a cell under the same name computes anew. A cell defined in ``__main__`` (a script, a notebook) is
computed and not stored, with one warning, unless it declares a ``version``; bump the version on every change of
the cell or of the helpers its methods call (a fingerprint sees the class, not the functions it calls).

**What else a cell answers.** Everything a caller needs about a cell goes through the protocol, so no module
outside `tnrnn.cells` looks at a cell's name: `Cell.proven_lower_bound` and `Cell.conjectured_lower_bound` (the
report of `tnrnn.cells.bounds_report`), and ``network_form``, the product form its tensor network is built from
(`tnrnn.build.build_network`; ``None``: the cell has no tensor network), and its trainable form for
`tnrnn.tasks` (`tnrnn.cells.trainable`: ``trainable``, ``exact_rank``, ``trainable_layer``, ``layer_param_shapes``).

Importing a cell loads neither numpy nor JAX (they are imported by the methods that compute), so bounds and
reports of every cell stay light.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import math
import types
from typing import ClassVar, Protocol

from tnrnn._types import ArgumentError, check_positive_int
from tnrnn.cells._names import CELL_REGISTRY
from tnrnn.cells.trainable import TrainableForm

__all__ = [
    "Cell",
    "Arithmetic",
    "register_cell",
    "register_params",
    "jax_pytrees",
    "make_cell",
    "cell_names",
    "cell_identity",
    "cell_spec",
    "CELL_REGISTRY",
]

#: parameter dataclasses to register as JAX pytrees (done lazily so that importing a cell does not load JAX)
_PARAM_CLASSES: list[type] = []
_REGISTERED: set[type] = set()


def register_params(cls):
    """Class decorator for a cell's parameter dataclass: it becomes a JAX pytree once JAX is used.

    Registration is deferred to `jax_pytrees` (called by every module that uses JAX), so that the structure-only
    modules can import cells without importing JAX.
    """
    _PARAM_CLASSES.append(cls)
    import sys

    if "jax" in sys.modules:
        jax_pytrees()
    return cls


def jax_pytrees() -> None:
    """Register every parameter dataclass of `register_params` with JAX (idempotent)."""
    import jax

    for cls in _PARAM_CLASSES:
        if cls not in _REGISTERED:
            jax.tree_util.register_dataclass(cls)
            _REGISTERED.add(cls)


def register_cell(cls):
    """Class decorator: make a cell usable by name (``make_cell(name, ...)``, ``cell="name"`` everywhere)."""
    return CELL_REGISTRY.register(cls.name, cls, replace=True)  # a user may redefine a cell of the same name


def _is_toolkit(cls) -> bool:
    return cls.__module__ == "tnrnn" or cls.__module__.startswith("tnrnn.")


def _code_digest(code: types.CodeType, h) -> None:
    """Feed what a code object computes (bytecode, names, constants, nested code) to the hash ``h``."""
    h.update(code.co_code)
    h.update(repr((code.co_names, code.co_varnames, code.co_freevars)).encode())
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_digest(c, h)
        elif isinstance(c, frozenset):  # iteration order follows the string hash seed: sort
            h.update(repr(sorted(map(repr, c))).encode())
        else:
            h.update(repr(c).encode())


def cell_identity(cell) -> str | None:
    """What identifies a cell's definition in the key of a stored result (`tnrnn.rank.store`), or None.

    Parameters
    ----------
    cell : Cell subclass or instance

    Returns
    -------
    str or None
        - the toolkit's own cells: their ``name`` (they change only with the toolkit, and a change that could
          change a result bumps `tnrnn.rank.store.ENGINE_VERSION`);
        - a cell that declares ``version`` in its class body: ``"name@v=<version>"`` (the author's promise: bump it
          on every change);
        - a cell in a module with its source: ``"name@src=<16 hex digits>"``, a SHA-256 fingerprint of the source
          of the class and of its bases outside the toolkit, and of the code of the methods written there (the
          loaded code, so a file edited after its import, or a class redefined under the same name in one module,
          gives another fingerprint);
        - None for a cell defined in ``__main__`` (a script, a notebook) or inside a function, without a declared
          version, or whose source cannot be read: its results are computed, not stored.

    Notes
    -----
    A fingerprint covers the class bodies, not the functions they call outside the class: a cell whose methods call
    helpers of its own should declare a ``version`` and bump it when a helper changes.
    """
    cls = cell if isinstance(cell, type) else type(cell)
    if _is_toolkit(cls):
        return cls.name
    declared = cls.__dict__.get("version")
    if declared is not None:
        return f"{cls.name}@v={declared}"
    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__:  # a class made in a function: its
        return None  # methods may read the function's variables, which no fingerprint of the class sees
    h = hashlib.sha256()
    for c in cls.__mro__:
        if c is object or _is_toolkit(c) or c.__module__ == "builtins":
            continue
        try:
            source = inspect.getsource(c)
            filename = inspect.getsourcefile(c)
        except (OSError, TypeError):
            return None
        h.update(f"{c.__module__}.{c.__qualname__}\n{source}".encode())
        for attr, value in sorted(vars(c).items()):
            func = getattr(value, "__func__", value)  # staticmethod, classmethod
            code = getattr(func, "__code__", None)
            if isinstance(code, types.CodeType) and code.co_filename == filename:  # written there, not generated
                h.update(attr.encode())
                _code_digest(code, h)
    return f"{cls.name}@src={h.hexdigest()[:16]}"


def cell_names() -> tuple[str, ...]:
    """Names of the registered cells that have an exact rank (``exact_rank``), sorted.

    The cells a rank, a bound, a sweep or the atlas accepts; `tnrnn.cells.trainable_cell_names` lists the trainable
    ones.
    """
    return tuple(sorted(CELL_REGISTRY.where(lambda cls: getattr(cls, "exact_rank", True))))


def _check_exact(cls, value):
    """``cls`` if its cell has an exact rank; else the one-line `ArgumentError` naming the cells that have one."""
    if not getattr(cls, "exact_rank", True):
        allowed = ", ".join(repr(n) for n in cell_names())
        why = f"a cell with an exact rank ({cls.name!r} is trainable only): one of {allowed}"
        raise ArgumentError("cell", value, why)
    return cls


class Arithmetic(Protocol):
    """The interface a cell's ``step`` is written against: every operation, with its signature.

    What a "vector" of ``n`` channels is depends on the arithmetic (`tnrnn.cells.arith`): an array ``(..., n)``
    (`tnrnn.cells.FloatArith`, `tnrnn.cells.NumpyModular`), a list of ``n`` arrays (`tnrnn.cells.ResidueArith`,
    the jitted kernel), a list of ``n`` pairs over ``GF(p^2)`` (``ExtensionArith``), or only a degree
    (`tnrnn.cells.DegreeArith`, `tnrnn.cells.bounds.GroupDegreeArith`). A cell combines vectors with these
    operations only, never indexes one and never branches on a value, so one ``step`` serves the float model, the
    exact rank kernels and the degree counting of the bounds and certificates. Parameters (``W``, ``A``, ``c``) are
    the arrays of the cell's parameter pytree, in the representation of the arithmetic.
    """

    def matvec(self, W, v):
        """``W v``: a matrix ``(m, n)`` times a vector of ``n`` channels, a vector of ``m``."""

    def mul(self, u, v):
        """``u ⊙ v``: the channel-wise (Hadamard) product of two vectors of ``n`` channels."""

    def add(self, u, v):
        """``u + v``: the channel-wise sum."""

    def scale(self, c, v):
        """``c ⊙ v``: a parameter vector ``c`` of shape ``(n,)`` times a vector, channel-wise."""

    def param(self, c, like):
        """The parameter vector ``c`` ``(n,)`` as a vector, broadcast like the vector ``like`` (e.g. a bias)."""

    def bilinear(self, A, u, v):
        """``r -> sum_ij A[r, i, j] u_i v_j`` for an order-3 parameter ``A`` ``(m, n_u, n_v)``."""

    def ones(self, n, like):
        """``n`` channels equal to 1, broadcast like ``like`` (an input or a vector)."""

    def zeros(self, n, like):
        """``n`` channels equal to 0, broadcast like ``like``."""

    def const(self, q, n, like):
        """``n`` channels equal to the rational constant ``q`` (an int or `fractions.Fraction`), like ``like``."""

    def first(self, v):
        """Channel 0 of ``v`` (the first output), as a scalar of the arithmetic."""


@dataclasses.dataclass(frozen=True)
class Cell(TrainableForm):
    """Base class of recurrent cells (see the module docstring for the protocol).

    The trainable form: `tnrnn.cells.trainable.TrainableForm`.

    Attributes
    ----------
    M, R, L, K : int
        Input dimension, channels per layer, depth and number of outputs (static sizes).
    name : str
        Registry name (class attribute).
    first_step : str
        The cell's convention for the first step, in words (class attribute).
    version : str or int or None
        Optional (class attribute): the version of the cell's definition, which keys its results in the rank atlas
        in place of a fingerprint of its source (`cell_identity`); bump it on every change. Needed to store the
        results of a cell defined in ``__main__`` or a notebook.
    network_form : str or None
        How `tnrnn.build.build_network` builds the cell's tensor network (a key of `tnrnn.build.NETWORK_FORMS`),
        or ``None`` when the cell has none (class attribute).
    """

    M: int
    R: int
    L: int
    K: int = 1

    name: ClassVar[str] = "cell"
    first_step: ClassVar[str] = ""
    version: ClassVar[str | int | None] = None
    network_form: ClassVar[str | None] = None

    def __post_init__(self):
        for n in _SIZES:
            check_positive_int(n, getattr(self, n))

    @property
    def spec(self) -> str:
        """The name with every option that differs from its default: ``"gru"``, ``"gru:act_degree=3"``.

        Options are the dataclass fields after the sizes (``act_degree`` of the gated cells). `make_cell` reads
        this form back, and the rank atlas keys results by it, so two option values never share a result.
        """
        changed = [f"{k}={getattr(self, k)}" for k, v in _option_defaults(type(self)).items() if getattr(self, k) != v]
        return self.name + (":" + ",".join(changed) if changed else "")

    # -- the protocol ---------------------------------------------------------------------------------------
    def param_shapes(self) -> dict:
        raise NotImplementedError

    def make_params(self, **arrays):
        """The parameter pytree from arrays named as in `param_shapes` (default: the dict itself)."""
        return dict(arrays)

    def initial_carry(self, params, ar, like):
        raise NotImplementedError

    def step(self, params, carry, x, ar):
        raise NotImplementedError

    def readout(self, params, h, ar):
        raise NotImplementedError

    # -- derived ----------------------------------------------------------------------------------------------
    def _arrays(self, fill) -> dict:
        out = {}
        for name, shape in self.param_shapes().items():
            if shape and isinstance(shape[0], tuple):
                out[name] = tuple(fill(s) for s in shape)
            else:
                out[name] = fill(shape)
        return out

    def init(self, *, key, dtype=None):
        """Random float parameters, Gaussian with variance ``1 / fan_in`` (fan-in: a shape's last axis)."""
        import jax
        import jax.numpy as jnp

        dtype = dtype or jnp.result_type(float)
        shapes = []
        self._arrays(lambda s: shapes.append(s) or s)
        keys = iter(jax.random.split(key, len(shapes)))

        def normal(shape):
            return jax.random.normal(next(keys), shape, dtype) / math.sqrt(shape[-1])

        return self.make_params(**self._arrays(normal))

    def random_residues(self, p: int, seed, *, degree: int = 1) -> object:
        """Uniformly random residues in ``[0, p)`` (numpy ``int64``) for every parameter, from ``seed``.

        ``degree=2``: uniformly random elements of ``GF(p^2)``, each parameter array with a trailing axis of size 2
        (the parts ``re + im i`` of `tnrnn.cells.ExtensionArith`).
        """
        import numpy as np

        rng = np.random.default_rng(seed)
        tail = (2,) if degree == 2 else ()
        return self.make_params(**self._arrays(lambda s: rng.integers(0, p, (*s, *tail), dtype=np.int64)))

    def width(self) -> int:
        """The widest matrix-vector product of the cell (bounds the sums of the exact arithmetics)."""
        import numpy as np

        widths = []
        self._arrays(lambda s: widths.append(int(np.prod(s[1:])) if len(s) > 1 else 1) or s)
        return max(widths + [self.M, self.R, self.K])

    def run(self, params, xs, ar, carry=None):
        """Run the cell over ``xs`` (time on axis ``-2``) with a Python loop; returns ``(carry, h_top)``."""
        if carry is None:
            carry = self.initial_carry(params, ar, xs[..., 0, :])
        h = None
        for t in range(xs.shape[-2]):
            carry, h = self.step(params, carry, xs[..., t, :], ar)
        return carry, h

    def forward(self, params, xs, *, xp=None):
        """The ``K`` outputs in floating point for inputs ``xs`` ``(..., T, M)`` (`FloatArith`; numpy by default)."""
        import numpy as np

        from tnrnn.cells.arith import FloatArith

        ar = FloatArith(np if xp is None else xp)
        _, h = self.run(params, xs, ar)
        return self.readout(params, h, ar)

    def modular_forward(self, params, xs, p: int):
        """The first output modulo ``p`` for residue inputs ``xs`` ``(..., T, M)``, by `NumpyModular` (int64)."""
        import numpy as np

        from tnrnn.cells.arith import NumpyModular

        ar = NumpyModular(p)
        xs = np.remainder(np.asarray(xs, np.int64), p)
        _, h = self.run(params, xs, ar)
        return ar.first(self.readout(params, h, ar))

    def output_degree(self, T: int, *, input_degree: int = 1) -> int:
        """Total degree of the first output after ``T`` steps, as a polynomial in every weight and input.

        Each weight counts as a variable of degree 1 and each input coordinate as ``input_degree`` (1 for random
        continuous points, 0 for fixed one-hot points). Computed by running the step on `DegreeArith`; an upper
        bound on the true degree (cancellations are not detected), which is what a Schwartz-Zippel bound needs.
        """
        from tnrnn.cells.arith import DegreeArith

        T = check_positive_int("T", T)
        ar = DegreeArith()
        params = self.make_params(**self._arrays(lambda s: None))
        carry = self.initial_carry(params, ar, None)
        h = None
        for _ in range(T):
            carry, h = self.step(params, carry, input_degree, ar)
        return ar.first(self.readout(params, h, ar))

    def proven_upper_bounds(self, T: int, *, domain: str, partition="start-end") -> dict[str, int]:
        """Upper bounds on the separation rank that hold for all weights, by name.

        Derived from the step itself (`tnrnn.cells.bounds.derived_upper_bounds`: input-degree, state and
        total-degree bounds), so every cell written against the arithmetic operations has them. Override (and call
        this) to add sharper bounds of your own; the rank engine caps its samples at the smallest value.
        """
        from tnrnn.cells.bounds import derived_upper_bounds

        return derived_upper_bounds(self, T, domain=domain, partition=partition)

    def proven_lower_bound(self, T: int, *, domain: str, partition="start-end") -> tuple[int | None, str]:
        """The best proven lower bound on the separation rank for generic weights, and the result it comes from.

        ``(None, reason)`` when none is known (the default): exact ranks are then certified lower bounds. Override
        it when a theorem applies (the RAC: Theorem 1; ``bilinear``, ``linear``: `tnrnn.cells.bounds`).
        """
        return None, f"no proven lower bound for the {self.name!r} cell; exact ranks are certified lower bounds"

    def conjectured_lower_bound(self, T: int, *, partition="start-end") -> int | None:
        """A conjectured (not proven) lower bound for generic weights, or ``None`` (the default)."""
        return None

    def cap_log2_lower(self, partition) -> float | None:
        """A lower bound on ``log2`` of the smallest proven upper bound (continuous domain), in O(1) time.

        Lets a rank request too large for memory be refused before any bound is computed (`tnrnn.sizes`).
        ``None`` (the default): the cell has no such estimate.
        """
        return None


_SIZES = ("M", "R", "L", "K")


def _option_defaults(cls) -> dict:
    """The options of a cell class (dataclass fields after the sizes) with their defaults."""
    return {f.name: f.default for f in dataclasses.fields(cls) if f.name not in _SIZES}


def _parse_spec(spec: str) -> tuple[type, dict]:
    """``"name"`` or ``"name:option=int,..."`` -> (registered class, options); `ArgumentError` otherwise."""
    name, sep, rest = spec.partition(":")
    if name not in CELL_REGISTRY:
        raise ArgumentError("cell", spec, "one of " + ", ".join(repr(n) for n in cell_names()) + " or a Cell subclass")
    cls = _check_exact(CELL_REGISTRY[name], spec)
    allowed = _option_defaults(cls)
    options = {}
    for item in rest.split(",") if sep else ():
        key, eq, value = item.partition("=")
        if not eq or key not in allowed or not value.lstrip("-").isdigit():
            forms = " or ".join(f"'{name}:{k}=<int>'" for k in allowed)
            raise ArgumentError("cell", spec, f"'{name}'" + (f" or {forms}" if forms else " (it has no options)"))
        options[key] = int(value)
    return cls, options


def cell_spec(cell: str, **options) -> str:
    """The canonical spec of a registered cell with ``options`` added (``None`` values ignored), validated.

    ``cell_spec("gru", act_degree=3) == "gru:act_degree=3"``, ``cell_spec("gru", act_degree=1) == "gru"``. Raises
    `ArgumentError` for an unknown cell, an option the cell does not have (naming the option and the cells that
    have it) or a value the cell refuses.
    """
    cls, opts = _parse_spec(cell)
    for key, value in options.items():
        if value is None:
            continue
        if key not in _option_defaults(cls):
            have = [n for n in cell_names() if key in _option_defaults(CELL_REGISTRY[n])]
            cells = ", ".join(have) or "(none)"
            raise ArgumentError(key, value, f"an option of the cells {cells}, not of {cls.name!r}")
        opts[key] = value
    return cls(1, 1, 1, **opts).spec


def make_cell(cell, M: int, R: int, L: int, K: int = 1) -> Cell:
    """A cell from a registered name or spec (``"rac"``, ``"gru:act_degree=3"``), or a `Cell` subclass or instance.

    A cell without an exact rank (``exact_rank = False``: ``rnn``, ``scornn``, trainable only) is refused with a
    one-line `ArgumentError` naming it and the cells that have one.
    """
    if isinstance(cell, Cell):
        _check_exact(type(cell), cell.name)
        if (cell.M, cell.R, cell.L, cell.K) != (M, R, L, K):
            raise ArgumentError("cell", cell, f"a cell with sizes (M, R, L, K) = {(M, R, L, K)}")
        return cell
    if isinstance(cell, type) and issubclass(cell, Cell):
        return _check_exact(cell, cell.name)(M, R, L, K)
    if isinstance(cell, str):
        cls, options = _parse_spec(cell)
        return cls(M, R, L, K, **options)
    raise ArgumentError("cell", cell, "one of " + ", ".join(repr(n) for n in cell_names()) + " or a Cell subclass")
