"""``minidl site``'s command line and the pages it generates (minidl/site/), without Sphinx:
these run in the default suite and take well under a second each."""

from __future__ import annotations

from pathlib import Path

import pytest

from minidl import cli
from minidl.site import api, build, kernel_pages
from minidl.site.outputs import last_bar_states

KERNELS = Path(build.REPO) / "minidl" / "kernels"


def test_site_defaults_to_quick_mode_in_build_site():
    args = build.options([])
    assert (args.full, args.mode, args.out) == (False, "quick", build.REPO / "build" / "site")


def test_site_full_and_out(tmp_path):
    args = build.options(["--full", "--out", str(tmp_path / "web")])
    assert (args.mode, args.out) == ("full", tmp_path / "web")
    command = build.sphinx_command(args)
    assert command[-2:] == [str(tmp_path / "web" / "src"), str(tmp_path / "web" / "html")]
    assert f"nb_execution_cache_path={tmp_path / 'web' / 'jupyter-cache-full'}" in command
    assert "minidl_mode=full" in command


def test_site_mode_reaches_the_lessons_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_CLAIMS_LOG", str(tmp_path / "mine.jsonl"))
    quick = build.sphinx_environment(build.options(["--out", str(tmp_path)]))
    full = build.sphinx_environment(build.options(["--full", "--out", str(tmp_path)]))
    assert quick["MINIDL_QUICK"] == "1" and "MINIDL_QUICK" not in full
    assert "MINIDL_CLAIMS_LOG" not in quick  # the claims print on the page, not in a log
    assert quick["MPLBACKEND"].endswith("backend_inline")  # plots become outputs
    assert quick["PYTHONWARNINGS"].endswith("ignore:IProgress")
    spec = Path(quick["JUPYTER_PATH"].split(":")[0]) / "kernels" / "python3" / "kernel.json"
    assert build.sys.executable in spec.read_text()  # the lessons import this minidl


@pytest.mark.parametrize("argv", [["site", "--help"], ["site", "-h"]])
def test_site_help_says_what_it_builds_and_where(argv, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(argv)
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert "--full" in out and "--out" in out and "build/site/" in out and "pytest -m site" in out


def test_site_rejects_an_unknown_option(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["site", "--quick"])
    assert exit.value.code == 2
    assert "unrecognized arguments: --quick" in capsys.readouterr().err


def test_site_without_the_extra_says_what_to_install(monkeypatch, capsys, tmp_path):
    real = build.importlib.util.find_spec

    def find_spec(name, *args):
        # the other site packages count as installed, whether or not this environment has them
        if name in build.PACKAGES:
            return None if name in ("myst_nb", "furo") else object()
        return real(name, *args)

    monkeypatch.setattr(build.importlib.util, "find_spec", find_spec)
    assert cli.main(["site", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "missing: myst-nb, furo" in err and 'pip install -e ".[site]"' in err
    assert not any(tmp_path.iterdir())  # nothing was built


def test_readme_sections_by_heading():
    text = "# T\n\nintro\n\n## Quick start\n\nq\n\n## Measured a\n\nx\n\n## Measured b\n\ny\n"
    assert build.readme_sections(text, "#") == "intro\n"
    assert build.readme_sections(text, "Quick") == "q\n"
    assert build.readme_sections(text, "Measured", keep_heading=True) == (
        "## Measured a\n\nx\n\n## Measured b\n\ny\n"
    )
    with pytest.raises(ValueError, match="no section"):
        build.readme_sections(text, "Lessons")


def test_the_readme_has_the_sections_the_site_shows():
    readme = (build.REPO / "README.md").read_text()
    for prefix in ("#", "Lessons", "Measured results"):
        assert build.readme_sections(readme, prefix).strip()
    assert build.readme_sections((KERNELS / "README.md").read_text(), "The lab").strip()
    for page in build.PAGES:
        assert (build.REPO / page).exists(), page


def test_kernel_paths_link_to_their_source_page():
    link = kernel_pages.linker(KERNELS)
    assert link("minidl/kernels/pool/cpu.py") == (
        ":ref:`minidl/kernels/pool/cpu.py <kernel-pool-cpu>`"
    )
    assert link("minidl/kernels/im2col/") == ":ref:`minidl/kernels/im2col/ <kernel-im2col>`"
    assert link("minidl/kernels/pool/nothing.py") is None
    assert link("minidl/kernels/nothing/cpu.py") is None
    families = kernel_pages.families(KERNELS)
    assert [p.name for p in families["pool"]] == ["reference.py", "cpu.py", "gpu.py", "spec.py"]


def test_every_functional_op_is_documented_once_under_its_f_name():
    listed = api.entries()
    functional = {e.name: e for e in listed["minidl.nn.functional"]}
    assert functional["max_unpool2d"].home == "minidl.nn.functional.max_unpool2d"
    assert "minidl/kernels/pool/cpu.py" in functional["max_unpool2d"].kernels()
    assert "minidl/kernels/im2col/cpu.py" in functional["conv2d"].kernels()
    assert functional["avg_pool2d"].kernels() is None  # "Kernel: none"
    md_softmax = next(e for e in listed["minidl"] if e.name == "softmax")
    assert md_softmax.home == "minidl.nn.functional.softmax"  # md.softmax is F.softmax
    documented = [
        e for entries in listed.values() for e in entries
        if e.home == f"{e.namespace.module}.{e.name}"
    ]  # fmt: skip
    assert len({id(e.obj) for e in documented}) == len(documented)  # each object once


def test_api_pages_are_written_once_and_stale_ones_removed(tmp_path):
    stale = tmp_path / "F" / "ops.gone.rst"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    written = api.write(tmp_path, kernel_pages.linker(KERNELS))
    assert not stale.exists() and tmp_path / "index.rst" in written
    page = (tmp_path / "F" / "ops.pool.rst").read_text()
    assert ".. autofunction:: minidl.nn.functional.max_unpool2d" in page
    stamp = {p: p.stat().st_mtime_ns for p in written}
    api.write(tmp_path, kernel_pages.linker(KERNELS))
    assert {p: p.stat().st_mtime_ns for p in written} == stamp  # unchanged: not rewritten


def test_a_progress_bar_shows_its_last_state():
    text = "fit:   0%|  | 0/3 [00:00<?]\nfit:  50%|# | 1/3\nfit: 100%|##| 3/3\ndone\n"
    assert last_bar_states(text) == "fit: 100%|##| 3/3\ndone\n"
    other = "a:  50%|# | 1/2\nb:  50%|# | 1/2\n"
    assert last_bar_states(other) == other  # two bars, each kept
