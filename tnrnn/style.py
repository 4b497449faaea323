r"""The house style of every tnrnn figure, in one place: font sizes, a colour-blind-safe palette, markers, lines.

Every plot and drawing of the toolkit (`tnrnn.plots`, `tnrnn.draw`, `tnrnn.figures`) draws inside `house_style`
(a `matplotlib.rc_context`, so global rcParams are never changed) and picks the colour and marker of its
``i``-th series with `series_style`. A new figure does the same::

    from tnrnn.style import house_style, series_style

    def plot_my_ranks(data, *, ax=None):
        with house_style():
            fig, ax = figure_and_axes(ax, figsize=FIGSIZE)
            for i, (label, (xs, ys)) in enumerate(data.items()):
                ax.plot(xs, ys, label=label, **series_style(i))
            ax.set_xlabel("sequence length $T$")
            finish_axes(ax)
        return fig, ax

or decorates a plot function with `styled`. Labels write their maths as matplotlib mathtext (``"$M^{T/2}$"``,
``r"$\beta_j^2 / \beta_0^2$"``); `unrendered_maths` lists the texts of a figure that show raw TeX instead (the
tests run it on every registered figure).

The palette is Okabe & Ito's (*Color Universal Design*, 2008), ordered so that neighbours differ in lightness as
well as hue: distinguishable by readers with any of the common colour-vision deficiencies, and, together with the
distinct markers of `MARKERS`, in grey-scale print. matplotlib is imported only when a function is called.
"""

from __future__ import annotations

import contextlib
import functools
import re

__all__ = [
    "FONT_SIZE",
    "FIGSIZE",
    "PALETTE",
    "OKABE_ITO",
    "MARKERS",
    "LINESTYLES",
    "GREY",
    "RC",
    "house_style",
    "styled",
    "series_style",
    "finish_axes",
    "plural",
    "unrendered_maths",
]

#: base font size in points (axis labels, legends, the labels of a drawing); titles are 10 % larger
FONT_SIZE = 10.0

#: default size of a one-panel plot, in inches (a half-width slide panel at 16:10)
FIGSIZE = (6.4, 4.4)

#: the eight colours of Okabe & Ito, by name
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish green": "#009E73",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "sky blue": "#56B4E9",
    "black": "#000000",
    "yellow": "#F0E442",
}

#: series colours in order: the first three (dark, light, middle grey) stay apart in grey-scale; yellow last
#: (faint on white)
PALETTE = tuple(OKABE_ITO.values())

#: series markers in order: filled shapes that stay distinct in grey-scale and at small sizes
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")

#: line styles for a second, independent encoding (e.g. kind of result), in order
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1.5, 1, 1.5, 1, 1.5)))

#: neutral grey of reference lines (chance levels, thresholds, caps)
GREY = "0.45"

#: the rcParams `house_style` sets (read them, never write them into matplotlib.rcParams)
RC = {
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE * 1.1,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE,
    "ytick.labelsize": FONT_SIZE,
    "legend.fontsize": FONT_SIZE * 0.9,
    "legend.title_fontsize": FONT_SIZE * 0.9,
    "figure.titlesize": FONT_SIZE * 1.2,
    "axes.titlepad": 8.0,
    "axes.prop_cycle": None,  # filled in by _rc() (cycler needs matplotlib)
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 6.0,
    "errorbar.capsize": 3.0,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "0.8",
    "mathtext.fontset": "dejavusans",
}


def _rc(overrides=None) -> dict:
    from cycler import cycler

    rc = dict(RC)
    rc["axes.prop_cycle"] = cycler(color=list(PALETTE))
    rc.update(overrides or {})
    return rc


@contextlib.contextmanager
def house_style(**overrides):
    """Context manager: draw in the house style (`RC`), global rcParams untouched on exit.

    Parameters
    ----------
    **overrides
        rcParams to change on top of `RC`, e.g. ``house_style(**{"font.size": 12})``.

    Examples
    --------
    >>> import matplotlib
    >>> from tnrnn.style import house_style
    >>> with house_style():
    ...     inside = matplotlib.rcParams["axes.spines.top"]
    >>> inside, matplotlib.rcParams["axes.spines.top"]
    (False, True)
    """
    import matplotlib

    with matplotlib.rc_context(_rc(overrides)):
        yield


def styled(func):
    """Decorator: run a plot function inside `house_style`, then pin its axes' tick label sizes.

    Tick labels are created lazily, often when the figure is saved (outside the context): their size is fixed on
    every axes of the returned figure so that it survives the context.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with house_style():
            out = func(*args, **kwargs)
            fig = out[0] if isinstance(out, tuple) and out else None
            for ax in getattr(fig, "axes", ()):
                ax.tick_params(labelsize=RC["xtick.labelsize"])
        return out

    return wrapper


def series_style(i: int, *, filled: bool = True, line: bool = True) -> dict:
    """Keyword arguments of ``ax.plot`` for the ``i``-th series: colour and marker, both cycling.

    Parameters
    ----------
    i : int
        Series number (0-based); colours repeat after ``len(PALETTE)``, markers after ``len(MARKERS)``.
    filled : bool
        Filled markers; ``False`` gives white-faced ones (a second encoding, e.g. the one-hot domain).
    line : bool
        ``False`` gives markers only (``ls="none"``).
    """
    color = PALETTE[i % len(PALETTE)]
    out = {"color": color, "marker": MARKERS[i % len(MARKERS)], "mec": color, "mfc": color if filled else "white"}
    if not line:
        out["ls"] = "none"
    return out


def finish_axes(ax, *, legend: bool = False, **legend_kw):
    """Pin the tick label size of ``ax`` to the house size (ticks are made lazily), optionally add its legend."""
    ax.tick_params(labelsize=RC["xtick.labelsize"])
    if legend:
        return ax.legend(**legend_kw)
    return None


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 seed"``, ``"5 seeds"``: the count and the word, plural unless ``n == 1``."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


#: raw TeX outside mathtext: a brace group after ^ or _, any caret, a backslash command, or a subscript written
#: with an underscore after a Greek letter or a one-letter name ("β_j", "L_j"; "file_name" is not maths)
_RAW = re.compile(r"\^\{|_\{|\^|\\[A-Za-z]+|(?:^|[^\w])[A-Za-z]_\w|[\u0370-\u03ff]_\w")


def unrendered_maths(fig) -> list[str]:
    """The texts of ``fig`` that show raw TeX outside ``$...$``.

    Raw TeX: ``^{``, ``_{``, a caret, a backslash command, or an underscore subscript of a Greek letter or a
    one-letter name (``"β_j"``, ``"L_j"``). Walks every `matplotlib.text.Text` of the figure (titles, axis labels,
    tick labels, legends, annotations). An unescaped ``$`` opens and closes mathtext; what lies between is rendered
    and not checked.

    Returns
    -------
    list of str
        The offending texts (empty when every label renders its maths).
    """
    from matplotlib.text import Text

    bad = []
    for text in fig.findobj(Text):
        s = text.get_text()
        if not s:
            continue
        outside = re.split(r"(?<!\\)\$", s)[::2]  # the parts outside pairs of unescaped $
        if any(_RAW.search(part) for part in outside):
            bad.append(s)
    return bad
