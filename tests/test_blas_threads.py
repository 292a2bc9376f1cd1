"""minidl decides OpenBLAS's thread settings when it is imported before NumPy, keeps the
user's values, passes its decision on to child processes, and says when NumPy came first
(minidl/blas_threads.py)."""

from __future__ import annotations

import os
import subprocess
import sys

OURS = ("OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_NUM_THREADS", "MINIDL_SPLITS_GEMMS")


def _run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip()


READ = "import os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
SPLITS = (
    "import minidl.blas_threads as b; "
    "print(b.gemm_threads(), os.environ.get('OPENBLAS_NUM_THREADS'))"
)


def test_minidl_first_sets_the_timeout():
    assert _run("import minidl; " + READ) == "4"


def test_the_users_value_is_kept():
    assert _run("import minidl; " + READ, OPENBLAS_THREAD_TIMEOUT="10") == "10"


def test_numpy_first_is_reported_not_changed():
    code = "import numpy, minidl.blas_threads as b; print(b.quiet_idle_threads()); " + READ
    assert _run(code).splitlines() == ["False", "None"]


def test_minidl_first_runs_one_blas_thread_and_splits_over_numbas():
    code = "import os, minidl, numba; print(numba.get_num_threads()); " + SPLITS
    threads, split = _run(code, NUMBA_NUM_THREADS="2").splitlines()
    assert (threads, split) == ("2", "2 1")


def test_a_child_process_inherits_the_split():
    child = f"import os, minidl; {SPLITS}"
    code = f"import minidl, subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    assert _run(code, NUMBA_NUM_THREADS="2") == "2 1"


def test_the_users_blas_thread_count_is_kept_and_nothing_is_split():
    code = "import os, minidl; " + SPLITS
    assert _run(code, OPENBLAS_NUM_THREADS="2", NUMBA_NUM_THREADS="2") == "1 2"
    assert _run(code, OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="2") == "1 1"


def test_numpy_first_limits_the_loaded_blas_and_splits():
    code = (
        "import os, numpy, minidl, threadpoolctl; "
        "print([i['num_threads'] for i in threadpoolctl.threadpool_info() "
        "if i['user_api'] == 'blas']); " + SPLITS
    )
    limits, split = _run(code, NUMBA_NUM_THREADS="2").splitlines()
    assert limits == "[1]" and split == "2 1", (limits, split)


def test_info_lists_the_users_thread_count_not_minidls():
    code = "import minidl; print(sorted(minidl.config.summary()))"
    assert "OPENBLAS_NUM_THREADS" not in _run(code)
    assert "OPENBLAS_NUM_THREADS" in _run(code, OPENBLAS_NUM_THREADS="2")
