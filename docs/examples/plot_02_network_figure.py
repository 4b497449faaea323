"""
A network figure for a slide
============================

The depth-2 tensor network of a RAC with its Start-End min-cut, saved as SVG with editable text (titles and labels
stay ``<text>`` elements, so they can be restyled in a vector editor) and a tight bounding box. Labels are 10 pt by
default (``font_size``), and a wide network is folded into bands, read like lines of text, to stay near a slide's
16:9. The same figure from the command line, then at the exact size of a 16:9 slide with larger labels::

    tnrnn draw --M 3 --R 2 --L 2 --T 4 --out network.svg
    tnrnn draw --M 3 --R 2 --L 2 --T 4 --width 13.33 --height 7.5 --font-size 14 --out slide.svg
"""

import os
import tempfile

from tnrnn.build import build_network
from tnrnn.cuts import min_cut
from tnrnn.draw import draw_network, save_figure

graph = build_network(3, 2, 2, 4, domain="continuous")
cut = min_cut(graph, "start-end")
fig, ax = draw_network(graph, cut=cut, title="depth-2 RAC: the tree of copies")

out = os.path.join(tempfile.mkdtemp(), "network.svg")
save_figure(fig, out)
with open(out) as fh:
    svg = fh.read()
print(graph)
print(f"bound {cut.bound}; {svg.count('<text')} text elements in {os.path.getsize(out)} bytes of SVG")

# %%
# Wide networks are folded into bands so that labels stay legible: here depth 4 at T = 4 (243 nodes).
wide = build_network(2, 2, 4, 4, domain="continuous")
fig, ax = draw_network(wide, cut=min_cut(wide))

# %%
# The same network on a whole 16:9 slide (13.33 x 7.5 inches) with 14 pt labels: the file has exactly that size.
fig, ax = draw_network(wide, cut=min_cut(wide), width=13.33, height=7.5, font_size=14)
slide = os.path.join(tempfile.mkdtemp(), "slide.svg")
save_figure(fig, slide, tight=False)
print(f"{fig.get_figwidth():.2f} x {fig.get_figheight():.2f} inches")
