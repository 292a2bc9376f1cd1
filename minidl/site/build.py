"""``minidl site``: build the course website from this checkout, offline.

    minidl site                 the lessons in quick mode (MINIDL_QUICK=1), into build/site/
    minidl site --full          the lessons in full mode (long: README gives each one's time)
    minidl site --out DIR       into DIR/ instead of build/site/

The site is DIR/html/: open DIR/html/index.html, or serve it with
``python -m http.server -d DIR/html``. The rest of DIR is the build's own: src/ (the sources
laid out for Sphinx), doctrees/, and jupyter-cache-MODE/, the executed lessons, keyed by
their code cells, so that a rebuild executes only the lessons whose code changed (a change to
the library alone re-executes nothing: delete that folder to run them all again).
``pytest -m site`` then checks the built site in headless Chromium.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from .. import config
from .files import copy_if_changed, write_if_changed

REPO = Path(__file__).resolve().parents[2]
# the site extra: import name -> what to pip install
PACKAGES = {
    "sphinx": "sphinx",
    "myst_nb": "myst-nb",
    "jupyter_cache": "jupyter-cache",
    "furo": "furo",
    "sphinx-mathjax-offline": "sphinx-mathjax-offline",
    "nbclient": "nbclient",
    "ipykernel": "ipykernel",
}
# repository files that become pages, at the same paths (so their relative links still work)
PAGES = ["minidl/kernels/README.md", "benchmarks/README.md", "docs/compatibility.md"]
PAGES += ["docs/conformance.md"]
CELL_TIMEOUT_S = {"quick": 300, "full": 1800}


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """The parsed command line; ``out`` is an absolute path."""
    parser = argparse.ArgumentParser(
        prog="minidl site",
        description="Build the course website (executed lessons, API reference, kernel "
        "guide, measurements) as static HTML, offline.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--full", action="store_true", help="lessons in full mode (long)")
    parser.add_argument(
        "--out", type=Path, default=REPO / "build" / "site", help="build folder (build/site)"
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    args.mode = "full" if args.full else "quick"
    return args


def missing_packages() -> list[str]:
    """The site extra's packages that this interpreter cannot import, as pip names."""
    return [pip for name, pip in PACKAGES.items() if importlib.util.find_spec(name) is None]


def readme_sections(text: str, *prefixes: str, keep_heading: bool = False) -> str:
    """The second-level sections of a Markdown text whose headings ("## ...") start with one
    of ``prefixes``; the prefix "#" stands for what comes before the first of them, less the
    title."""
    parts = re.split(r"^(?=## )", text, flags=re.MULTILINE)
    out = []
    for part in parts:
        heading, _, body = part.partition("\n")
        if "#" in prefixes and not part.startswith("## "):
            out.append(body if heading.startswith("# ") else part)
        elif any(heading.startswith(f"## {p}") for p in prefixes if p != "#"):
            out.append(part if keep_heading else body)
    if not out:
        raise ValueError(f"minidl site: no section starting with {prefixes} in the README")
    return "\n".join(s.strip("\n") + "\n" for s in out)


def stage(src: Path, repo: Path = REPO) -> None:
    """Lay out the site's sources under ``src``: the hand-written pages of docs/site/, the
    lessons and the READMEs at their repository paths, README fragments, and the generated
    API, kernel and lab pages."""
    from . import api, kernel_pages

    for page in sorted((repo / "docs" / "site").glob("*.md")):
        copy_if_changed(page, src / page.name)
    lessons = sorted((repo / "lessons").glob("[0-9][0-9]_*.ipynb"))
    for lesson in lessons:
        copy_if_changed(lesson, src / "lessons" / lesson.name)
    for old in (src / "lessons").glob("*.ipynb"):  # a lesson that is gone
        if old.name not in {p.name for p in lessons}:
            old.unlink()
    for page in PAGES:
        copy_if_changed(repo / page, src / page)
    readme = (repo / "README.md").read_text(encoding="utf-8")
    kernels_readme = (repo / "minidl" / "kernels" / "README.md").read_text(encoding="utf-8")
    fragments = {
        "intro": readme_sections(readme, "#"),
        "lessons": readme_sections(readme, "Lessons"),
        "measured": readme_sections(readme, "Measured results", keep_heading=True),
        "lab": readme_sections(kernels_readme, "The lab"),
    }
    for name, text in fragments.items():
        write_if_changed(src / "_readme" / f"{name}.md", text)
    for name, argv in {"lab-list": ["list"], "lab-help": ["--help"]}.items():
        out = _run_minidl(["lab", *argv])
        write_if_changed(src / "_generated" / f"{name}.txt", out)
    kernels = repo / "minidl" / "kernels"
    kernel_pages.write(src / "kernels", kernels)
    api.write(src / "api", kernel_pages.linker(kernels))


def _run_minidl(argv: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "minidl", *argv], capture_output=True, text=True, check=True
    )
    return done.stdout


def kernel_dirs(root: Path) -> Path:
    """A Jupyter data folder whose "python3" kernel is *this* interpreter, so that the lessons
    import the minidl being built (not whichever python3 Jupyter would find first)."""
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3 (minidl site)", "language": "python"}
    write_if_changed(spec / "kernel.json", json.dumps(kernel, indent=1))
    return root


def sphinx_command(args: argparse.Namespace, repo: Path = REPO) -> list[str]:
    """The sphinx-build command line for ``args``."""
    out = args.out
    return [
        sys.executable,
        "-m",
        "sphinx",
        "--builder",
        "html",
        "--conf-dir",
        str(repo / "docs" / "site"),
        "--doctree-dir",
        str(out / "doctrees"),
        "--warning-file",
        str(out / "warnings.txt"),
        "--keep-going",
        "--define",
        f"nb_execution_cache_path={out / f'jupyter-cache-{args.mode}'}",
        "--define",
        f"nb_execution_timeout={CELL_TIMEOUT_S[args.mode]}",
        "--define",
        f"minidl_mode={args.mode}",
        str(out / "src"),
        str(out / "html"),
    ]


def sphinx_environment(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the Sphinx run, which the lessons' kernels inherit."""
    jupyter = kernel_dirs(args.out / "jupyter")
    path = [str(jupyter), *filter(None, [config.environment().get("JUPYTER_PATH")])]
    env = config.environment(
        JUPYTER_PATH=":".join(path),
        MPLBACKEND="module://matplotlib_inline.backend_inline",  # plots become outputs
        PYDEVD_DISABLE_FILE_VALIDATION="1",  # the kernel's debugger note is not output
        # tqdm.auto's hint to install ipywidgets is about this build's environment, not the
        # lesson: its text bar is what the page can show
        PYTHONWARNINGS=",".join(
            filter(None, [config.environment().get("PYTHONWARNINGS"), "ignore:IProgress"])
        ),
    )
    env.pop("MINIDL_CLAIMS_LOG", None)  # claims print on the page; no one's log grows
    if args.full:
        env.pop("MINIDL_QUICK", None)
    else:
        env["MINIDL_QUICK"] = "1"
    return env


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    missing = missing_packages()
    if missing:
        print(
            f"minidl site: the site is built with Sphinx and MyST-NB, which are not installed "
            f"here (missing: {', '.join(missing)}). Install the site extra in this "
            f'environment: pip install -e ".[site]"',
            file=sys.stderr,
        )
        return 2
    if not (REPO / "docs" / "site" / "conf.py").exists() or not (REPO / "lessons").is_dir():
        print(
            f"minidl site: {REPO} is not a source checkout (no docs/site/ or lessons/); the "
            f"site is built from a clone of the repository",
            file=sys.stderr,
        )
        return 2
    began = time.perf_counter()
    print(f"minidl site: laying out the sources in {args.out / 'src'}", flush=True)
    stage(args.out / "src")
    print(f"minidl site: building, lessons in {args.mode} mode (cached ones are not rerun)")
    done = subprocess.run(sphinx_command(args), env=sphinx_environment(args))
    seconds = time.perf_counter() - began
    html = args.out / "html"
    warnings = args.out / "warnings.txt"
    count = len(warnings.read_text().splitlines()) if warnings.exists() else 0
    if done.returncode:
        print(
            f"minidl site: the build FAILED after {seconds:.0f} s (sphinx exit status "
            f"{done.returncode}; warnings in {warnings})",
            file=sys.stderr,
        )
        return 1
    pages = sum(1 for _ in html.rglob("*.html"))
    print(f"\nminidl site: {pages} pages in {html}, built in {seconds:.0f} s")
    print(f"{count} lines of Sphinx warnings in {warnings}" if count else "no Sphinx warnings")
    print(f"open {html / 'index.html'}  (or serve it: python -m http.server -d {html})")
    where = "" if args.out == options([]).out else f"MINIDL_SITE={args.out} "
    print(f"check it in headless Chromium: {where}pytest -m site")
    return 0
