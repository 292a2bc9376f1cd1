"""The course as a website: ``minidl site`` builds it from this checkout, offline.

Sphinx with MyST-NB executes the lessons (cached by their code), autodoc writes the API
reference from the docstrings, and the READMEs become pages. ``build.py`` is the command,
``api.py`` and ``kernel_pages.py`` write the generated pages, ``docstrings.py`` turns the
plain-text docstrings into reST, ``sphinx_ext.py`` is the Sphinx extension; the Sphinx
configuration and the hand-written pages are in ``docs/site/``.
"""
