"""minidl sets OPENBLAS_THREAD_TIMEOUT when it is imported before NumPy, keeps the user's
value, and says when NumPy came first (minidl/blas_threads.py)."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip()


READ = "import os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"


def test_minidl_first_sets_the_timeout():
    assert _run("import minidl; " + READ) == "4"


def test_the_users_value_is_kept():
    assert _run("import minidl; " + READ, OPENBLAS_THREAD_TIMEOUT="10") == "10"


def test_numpy_first_is_reported_not_changed():
    code = "import numpy, minidl.blas_threads as b; print(b.quiet_idle_threads()); " + READ
    assert _run(code).splitlines() == ["False", "None"]
