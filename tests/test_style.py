"""The house style (tnrnn.style): applied inside a context only, a palette and markers that stay apart."""

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from tnrnn.style import (  # noqa: E402
    FONT_SIZE,
    MARKERS,
    PALETTE,
    RC,
    house_style,
    plural,
    series_style,
    styled,
)


def _grey(color) -> float:
    """Relative luminance (ITU-R BT.709 weights on the sRGB values), what a grey-scale print keeps of a colour."""
    r, g, b = to_rgb(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_house_style_changes_no_global_rcparams():
    before = dict(matplotlib.rcParams)
    with house_style():
        assert matplotlib.rcParams["font.size"] == FONT_SIZE
        assert matplotlib.rcParams["axes.spines.top"] is False
        assert [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]] == list(PALETTE)
    assert dict(matplotlib.rcParams) == before


def test_styled_function_draws_in_the_house_style_and_pins_tick_sizes():
    @styled
    def plot(ax=None):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label="a")
        ax.legend()
        return fig, ax

    before = matplotlib.rcParams["font.size"]
    fig, ax = plot()
    fig.canvas.draw()  # tick labels are made now, outside the style's context
    assert matplotlib.rcParams["font.size"] == before
    assert {t.get_fontsize() for t in ax.get_xticklabels()} == {RC["xtick.labelsize"]}
    assert ax.get_legend().get_texts()[0].get_fontsize() == pytest.approx(RC["legend.fontsize"])
    assert ax.lines[0].get_color() == PALETTE[0]
    plt.close(fig)


def test_series_differ_in_marker_and_colour():
    styles = [series_style(i) for i in range(len(MARKERS))]
    assert len({s["marker"] for s in styles}) == len(MARKERS)
    assert len({s["color"] for s in styles}) == len(styles)
    assert series_style(0, filled=False)["mfc"] == "white"
    assert series_style(1, line=False)["ls"] == "none"


def test_first_series_colours_survive_grey_scale():
    """The first three series colours (depths 1-3, the usual count) differ in grey by at least 4 %, and none of
    the first six is as light as the white background."""
    greys = [_grey(c) for c in PALETTE[:6]]
    assert all(g < 0.8 for g in greys)
    first = sorted(greys[:3])
    assert min(b - a for a, b in zip(first, first[1:], strict=False)) >= 0.04


@pytest.mark.parametrize("n,text", [(0, "0 seeds"), (1, "1 seed"), (2, "2 seeds")])
def test_plural(n, text):
    assert plural(n, "seed") == text
