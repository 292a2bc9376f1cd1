"""``md.linalg``, as ``torch.linalg``: see `minidl.ops.linalg_extra`."""

from .ops.linalg_extra import (  # noqa: F401  (re-exported)
    cross,
    det,
    diagonal,
    inv,
    matrix_norm,
    multi_dot,
    norm,
    solve,
    svdvals,
    vecdot,
    vector_norm,
)
