"""`backend.gpu_status` says why the GPU cannot be used, also when CuPy and a device are
there but numba-cuda cannot compile with the installed NumPy (found on the first GPU run)."""

import os
import subprocess
import sys
import textwrap

import pytest


def _status_with_a_fake_device(before: str) -> str:
    """gpu_status's sentence in a fresh process whose CuPy answers one device."""
    pytest.importorskip("numba.cuda")
    code = textwrap.dedent(
        f"""
        import types
        import numpy as np
        import minidl.backend as backend
        fake = types.SimpleNamespace(
            cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
        )
        backend._import_cupy = lambda: fake
        {before}
        ok, why = backend.gpu_status()
        print(ok, why)
        """
    )
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}  # the simulator answers before CuPy
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_numpy_without_row_stack_is_named_with_the_fix():
    said = _status_with_a_fake_device("del np.row_stack")
    assert said.startswith("False numba-cuda cannot compile kernels with NumPy"), said
    assert "pip install 'numpy<2.5'" in said, said


def test_a_working_pair_is_usable():
    said = _status_with_a_fake_device("")
    assert said == "True 1 CUDA device(s) visible to CuPy", said
