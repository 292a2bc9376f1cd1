"""Differentiable ops: argument checks, forward and backward, as `Function` subclasses.

Each module holds one family; this namespace gathers their public functions, and attaches
the ones `Tensor` names as its methods (``t.sum()`` is ``ops.sum(t)``; see `minidl.tensor`).
"""

from ..tensor import attach_methods
from . import shape
from .compare import (
    allclose,
    eq,
    equal,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    le,
    less,
    less_equal,
    lt,
    ne,
    not_equal,
)
from .counting import argwhere, bincount, bucketize, histc, nonzero, searchsorted, unique
from .cumulative import cummax, cummin, cumprod, cumsum, logcumsumexp
from .einsum import einsum
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
from .fused import (
    addbmm,
    addcdiv,
    addcmul,
    addmm,
    addmv,
    addr,
    arctan2,
    atan2,
    baddbmm,
    fmod,
    hypot,
    lerp,
    logaddexp,
    xlogy,
)
from .join import (
    cat,
    chunk,
    column_stack,
    concat,
    concatenate,
    dstack,
    hstack,
    split,
    stack,
    tensor_split,
    unbind,
    vstack,
)
from .linalg import (
    bmm,
    cdist,
    cross,
    diag,
    diagonal,
    dist,
    dot,
    kron,
    matmul,
    mm,
    mv,
    outer,
    tensordot,
    trace,
)
from .linalg_extra import tensor_norm as norm
from .loss import binary_cross_entropy_with_logits, cross_entropy, nll_loss
from .mask import masked_fill, masked_select
from .pad import pad
from .pointwise import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atanh,
    ceil,
    cos,
    cosh,
    deg2rad,
    erf,
    erfc,
    erfinv,
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
    logit,
    nan_to_num,
    rad2deg,
    reciprocal,
    round,
    rsqrt,
    sgn,
    sign,
    sin,
    sinh,
    square,
    tan,
    trunc,
)
from .rearrange import (
    broadcast_tensors,
    diff,
    meshgrid,
    ravel,
    repeat_interleave,
    rot90,
    select,
)
from .reduce import (
    all,
    amax,
    amin,
    aminmax,
    any,
    count_nonzero,
    logsumexp,
    mean,
    nanmean,
    nansum,
    prod,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from .regression_loss import mse_loss
from .scatter import index_add, index_copy, index_fill, scatter, scatter_add, take
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
    atleast_1d,
    atleast_2d,
    atleast_3d,
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

# what `from minidl.ops import *` (and so `md.X`) gives: the public functions
__all__ = sorted(
    n
    for n, v in list(globals().items())
    if callable(v) and not n.startswith("_") and n not in ("attach_methods", "shape")
)
attach_methods(globals())  # t.sum(...) is ops.sum(t, ...), t.flip(...) is ops.flip(t, ...)
