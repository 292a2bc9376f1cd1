"""Importing minidl makes glibc keep freed memory, so that a second large array reuses the
pages of the first instead of faulting in fresh ones; the user's settings and
``MINIDL_MALLOC=system`` are respected (minidl/freed_memory.py)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

OURS = ("MINIDL_MALLOC", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")

# Page faults of filling a 64 MiB array, then of filling a second one after freeing the first.
FAULTS = """
import resource, numpy as np, minidl.freed_memory as f
faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = faults(); x = np.empty(64 << 20, np.uint8); x.fill(1); b = faults(); del x
y = np.empty(64 << 20, np.uint8); y.fill(1); c = faults()
print(b - a, c - b)
print(f.describe())
"""

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="needs glibc"
)


def _run(code: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip().splitlines()


def _faults(**env: str) -> tuple[int, int, str]:
    counts, state = _run(FAULTS, **env)
    first, second = map(int, counts.split())
    return first, second, state


@glibc
def test_a_second_large_array_reuses_the_first_ones_pages():
    first, second, state = _faults()
    assert first > 0 and second < first / 4, (first, second)
    assert state.startswith("freed memory is kept")


@glibc
def test_minidl_malloc_system_leaves_glibc_alone():
    first, second, state = _faults(MINIDL_MALLOC="system")
    assert second > first / 2, (first, second)  # the second array faults in afresh
    assert state == "the system's (MINIDL_MALLOC=system)"


@glibc
def test_the_users_glibc_variable_is_kept():
    _, _, state = _faults(MALLOC_TRIM_THRESHOLD_="1000000")
    assert state == "the system's, as set by MALLOC_TRIM_THRESHOLD_"


def test_a_misspelt_mode_is_a_clear_error():
    done = subprocess.run([sys.executable, "-c", "import minidl"], capture_output=True,
                          text=True, env={**os.environ, "MINIDL_MALLOC": "keeep"})  # fmt: skip
    assert done.returncode != 0
    assert "MINIDL_MALLOC must be one of ('keep', 'system'), got 'keeep'" in done.stderr
