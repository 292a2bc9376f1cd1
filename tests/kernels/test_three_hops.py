"""A reader reaches the loop of an op in three hops: the op's docstring names the kernel
file and function (for conv2d, for every algorithm), and that file defines that function."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import minidl.nn.functional as F
from minidl.kernels import KERNELS, algorithms

ROOT = Path(F.__file__).resolve().parent.parent.parent
OPS = [F.conv2d, F.conv_transpose2d, F.max_pool2d, F.max_pool2d_with_indices, F.max_unpool2d]
OPS += [F.roi_align, F.adaptive_max_pool2d]


def _named(doc: str) -> tuple[set[str], set[str]]:
    """(the kernel files the text names, the kernel functions it names)."""
    files = set(re.findall(r"minidl/kernels/[\w/]+\.py", doc))
    folders = re.findall(r"minidl/kernels/(\w+)/\{([\w,]+)\}\.py", doc)
    files |= {f"minidl/kernels/{d}/{impl}.py" for d, impls in folders for impl in impls.split(",")}
    names = {w for w in re.findall(r"\w+", doc) if w in KERNELS}
    return files, names


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.__name__)
def test_the_docstring_names_files_that_define_the_functions_it_names(op):
    files, names = _named(op.__doc__)
    assert files and names, f"{op.__name__}: its docstring names no kernel file and function"
    for name in names:
        family = KERNELS[name].family
        named_here = [f for f in files if f.startswith(f"minidl/kernels/{family}/")]
        assert named_here, f"{op.__name__}: names {name} but not a file of kernels/{family}/"
        for path in named_here:
            text = (ROOT / path).read_text()
            assert re.search(rf"^def {name}\(", text, re.M), f"{path} does not define {name}"


def test_conv2d_names_the_files_of_every_algorithm():
    doc = F.conv2d.__doc__
    for algorithm in algorithms.CONV2D:
        assert f'"{algorithm.name}"' in doc, algorithm.name
        folder = algorithm.kernels.split("/")[2]
        assert f"minidl/kernels/{folder}/" in doc, algorithm.name
