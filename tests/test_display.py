"""Notebook display (`tnrnn._display`): HTML of results, reports and atlas queries; SVG/PNG of networks."""

import dataclasses
import html.parser
import xml.etree.ElementTree as ET

import pytest

import tnrnn
from tnrnn import _display
from tnrnn.atlas import Atlas, query_atlas
from tnrnn.build import build_network
from tnrnn.cuts import min_cut
from tnrnn.rank import separation_rank

SMALL = dict(M=2, R=2, L=2, T=4, domain="continuous")


class _Balanced(html.parser.HTMLParser):
    """Records the tags; fails on a closing tag that does not close the innermost open one."""

    def __init__(self):
        super().__init__()
        self.stack, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        self.tags.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()


def _check_html(text: str) -> ET.Element:
    """``text`` is balanced HTML (html.parser) and well-formed XML (xml.etree); returns the XML tree."""
    parser = _Balanced()
    parser.feed(text)
    parser.close()
    assert parser.stack == [] and "table" in parser.tags
    return ET.fromstring(f"<div>{text}</div>")


def _text(tree: ET.Element) -> str:
    return " ".join("".join(tree.itertext()).split())


def _badges(tree: ET.Element) -> dict[str, str]:
    """Status word -> the badge's style, for every badge in the tree."""
    return {el.text: el.get("style") for el in tree.iter("span") if "background" in (el.get("style") or "")}


def test_rank_result_html_shows_the_status_and_the_certificate():
    res = separation_rank(**SMALL)
    tree = _check_html(res._repr_html_())
    text = _text(tree)
    assert f"rank {res.rank}" in text and res.status == "proven"
    assert _badges(tree) == {"proven": _badges(tree)["proven"]}
    assert _display.STATUS_COLOURS["proven"] in _badges(tree)["proven"]
    for value in (*res.primes, res.upper_bound, *res.N):
        assert str(value) in text
    assert "failure bound" in text and "matrix" in text


def test_each_status_has_its_own_colour_and_word():
    proven = separation_rank(**SMALL)
    partial = separation_rank(2, 2, 2, 6, domain="continuous", max_N=4)
    svd = separation_rank(**SMALL, method="svd")
    lower = dataclasses.replace(proven, status="lower-bound", failure_bound=3.2e-7, upper_bound=None)
    seen = {}
    for res in (proven, partial, lower):
        badges = _badges(_check_html(res._repr_html_()))
        assert list(badges) == [res.status]
        seen[res.status] = badges[res.status]
    assert len(set(seen.values())) == 3  # three colours for three statuses
    assert "3.2e-07" in _text(_check_html(lower._repr_html_()))
    assert "stopped" in _text(_check_html(partial._repr_html_()))
    assert "diagnostic" in _text(_check_html(svd._repr_html_()))


def test_values_are_escaped_and_big_integers_abridged():
    res = dataclasses.replace(separation_rank(**SMALL), cell="<b>&cell", upper_bound=2**200)
    text = res._repr_html_()
    assert "<b>&cell" not in text and "&lt;b&gt;&amp;cell" in text
    assert "≈ 2^200.0 (61 digits)" in _text(_check_html(text))


def test_bounds_report_html_lists_every_bound():
    report = tnrnn.bounds_report(2, 3, 2, 8)
    assert isinstance(report, dict)
    text = _text(_check_html(report._repr_html_()))
    for key in ("lower", "conjecture", "state_upper", "degree_upper", "alphabet_upper"):
        assert key in text and str(report[key]) in text


def test_atlas_query_html_has_a_row_per_result(tmp_path):
    path = tmp_path / "a.sqlite"
    separation_rank(**SMALL, cache=path)
    separation_rank(2, 2, 2, 6, domain="continuous", max_N=4, cache=path)
    res = query_atlas(str(path), {})
    assert res["count"] == 2 and isinstance(res["rows"], list)
    for shown in (res, res["rows"]):
        tree = _check_html(shown._repr_html_())
        assert len(list(tree.iter("tbody"))[0]) == 2  # two rows
        assert set(_badges(tree)) == {"proven", "partial"}
    with Atlas(path) as atlas:
        assert len(atlas) == 2


def _svg_groups(svg: str) -> dict[str, int]:
    """The drawing's groups (gids ``tn-...``, `tnrnn.draw`) -> how many elements each holds."""
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    return {el.get("id"): len(list(el.iter())) for el in root.iter() if (el.get("id") or "").startswith("tn-")}


def test_network_svg_and_png_with_the_last_cut():
    import matplotlib.pyplot as plt

    graph = build_network(2, 2, 2, 4, domain="continuous")
    plain = _svg_groups(graph._repr_svg_())
    assert plain["tn-nodes"] > 1 and plain["tn-edges"] > 1
    assert plain.get("tn-cut-edges", 1) == 1 and "tn-cut-bound" not in plain  # no cut computed yet: none drawn
    cut = min_cut(graph)
    for svg in (graph._repr_svg_(), cut._repr_svg_()):  # the graph now shows its last cut; the cut shows itself
        groups = _svg_groups(svg)
        assert groups["tn-cut-edges"] > len(cut.cut_edges) and "tn-cut-bound" in groups
    for png in (graph._repr_png_(), cut._repr_png_()):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    assert plt.get_fignums() == []  # every figure drawn for display was closed


def test_large_networks_show_their_text_repr(monkeypatch):
    graph = build_network(2, 2, 2, 4, domain="continuous")
    monkeypatch.setattr(_display, "DRAW_LIMIT", graph.n_nodes - 1)
    assert graph._repr_svg_() is None and graph._repr_png_() is None
    assert repr(graph).startswith("TNGraph(")


@pytest.mark.parametrize("value, shown", [(None, "–"), (12, "12"), (0.000123456, "0.000123"), ([3, 4], "3 × 4")])
def test_value_text(value, shown):
    assert _display.value_text(value) == shown
