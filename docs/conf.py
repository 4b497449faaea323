"""Sphinx configuration of the tnrnn documentation.

Build (warnings are errors)::

    python -m pip install ".[docs,interop]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)  # document (and run the examples against) this source tree
os.environ.setdefault("JAX_PLATFORMS", "cpu")  # autodoc imports need no accelerator
os.environ.setdefault("MPLBACKEND", "Agg")

import tnrnn  # noqa: E402

project = "tnrnn"
author = "the tnrnn developers"
copyright = "2026, the tnrnn developers"
release = tnrnn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "examples/README.txt",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
]
templates_path = ["_templates"]

# `name` in docstrings: a cross-reference when it resolves, plain code otherwise (not nitpicky)
default_role = "py:obj"
nitpicky = False

# --- API reference -----------------------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc sections carry the types
autodoc_class_signature = "separated"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- MyST ----------------------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# --- gallery -------------------------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # run every example
    "ignore_pattern": r"(__init__|_helpers)\.py$",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
}

# --- HTML ----------------------------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"tnrnn {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Tensor-network analysis of the long-term memory of recurrent networks",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
