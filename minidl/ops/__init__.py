"""Differentiable ops: argument checks, forward and backward, as `Function` subclasses.

Each module holds one family; this namespace gathers their public functions.
"""

from . import shape
from .cumulative import cumprod, cumsum
from .elementwise import (
    abs,
    add,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    div,
    divide,
    exp,
    floor_divide,
    log,
    maximum,
    minimum,
    mul,
    multiply,
    neg,
    pow,
    relu,
    remainder,
    sigmoid,
    sqrt,
    sub,
    subtract,
    tanh,
    true_divide,
    where,
)
from .join import (
    cat,
    chunk,
    concat,
    concatenate,
    hstack,
    split,
    stack,
    tensor_split,
    unbind,
    vstack,
)
from .linalg import bmm, dot, matmul, mm, mv, outer
from .loss import binary_cross_entropy_with_logits, cross_entropy, nll_loss
from .mask import argwhere, masked_fill, masked_select, nonzero
from .pad import pad
from .pointwise import (
    acos,
    asin,
    atan,
    ceil,
    cos,
    cosh,
    exp2,
    expm1,
    floor,
    frac,
    isfinite,
    isinf,
    isnan,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    sinh,
    square,
    tan,
    trunc,
)
from .reduce import (
    all,
    amax,
    amin,
    any,
    count_nonzero,
    logsumexp,
    mean,
    norm,
    prod,
    std,
    sum,
    var,
)
from .regression_loss import mse_loss
from .select import (
    argmax,
    argmin,
    argsort,
    gather,
    index_select,
    kthvalue,
    max,
    median,
    min,
    sort,
    take_along_dim,
    topk,
)
from .shape import (
    astype,
    broadcast_to,
    clone,
    flatten,
    flip,
    fliplr,
    flipud,
    getitem,
    moveaxis,
    movedim,
    narrow,
    permute,
    repeat,
    reshape,
    roll,
    squeeze,
    swapaxes,
    swapdims,
    t,
    tile,
    to_device,
    transpose,
    tril,
    triu,
    unflatten,
    unsqueeze,
)
from .softmax import log_softmax, softmax

negative = neg

from ..tensor import attach_methods  # noqa: E402

# what `from minidl.ops import *` (and so `md.X`) gives: the public functions
__all__ = sorted(
    n
    for n, v in list(globals().items())
    if callable(v) and not n.startswith("_") and n not in ("attach_methods", "shape")
)
attach_methods(globals())  # t.sum(...) is ops.sum(t, ...), t.flip(...) is ops.flip(t, ...)
