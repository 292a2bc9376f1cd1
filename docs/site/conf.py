"""Sphinx configuration of the course website. ``minidl site`` builds it (minidl/site/build.py
lays out the sources and passes the mode, the cache folder and the time limit with -D).

Offline by construction: the furo theme ships its CSS and JS, MathJax comes from the
sphinx-mathjax-offline package (copied into _static/), the search index is a local file, and
ipywidgets' JavaScript (which MyST-NB would load from a CDN) is switched off.
"""

project = "minidl"
author = "the minidl authors"
copyright = "the minidl authors, MIT licence"
root_doc = "index"

extensions = [
    "myst_nb",  # notebooks and Markdown pages; executes the lessons
    "sphinx.ext.autodoc",
    "sphinx-mathjax-offline",
    "minidl.site.sphinx_ext",
]
# fragments of the READMEs, included by the pages; generated text; not pages of their own
exclude_patterns = ["README.md", "_readme/**", "_generated/**"]

html_theme = "furo"
html_title = "minidl"
html_favicon = "static/favicon.svg"
html_extra_path = ["extra"]  # favicon.ico at the root, which browsers ask for all the same
html_static_path = ["static"]
html_css_files = ["minidl.css"]
html_copy_source = False  # the lesson pages link their notebook; no other source copies
html_show_sourcelink = False
html_domain_indices = False  # one index of names (genindex) is enough
html_last_updated_fmt = None

# Markdown: $...$ math as in Jupyter; anchors on README headings that pages link to
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Notebooks: executed in a scratch folder, cached by their code cells' content, so that a
# rebuild runs only the lessons that changed; a raising cell fails the build
nb_execution_mode = "cache"
nb_execution_cache_path = "_build/jupyter-cache"
nb_execution_in_temp = True
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 300
nb_merge_streams = True
nb_ipywidgets_js = {}

# API pages (written by minidl/site/api.py): docstrings in source order, signatures as typed
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
add_module_names = False
default_role = "py:obj"  # `name` in a docstring is a link where the name is documented
minidl_mode = "quick"
