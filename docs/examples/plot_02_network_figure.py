"""
A network figure for a slide
============================

The depth-2 tensor network of a RAC with its Start-End min-cut, saved as SVG with editable text (titles and labels
stay ``<text>`` elements, so they can be restyled in a vector editor) and a tight bounding box. The same figure from
the command line::

    tnrnn draw --M 3 --R 2 --L 2 --T 4 --out network.svg
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
wide = build_network(2, 2, 4, 4)
fig, ax = draw_network(wide, cut=min_cut(wide))
