"""`Tensor`: an array (NumPy or CuPy), its gradient, and the node that produced it.

The arithmetic lives in `minidl.ops`, which builds on this module and so cannot be imported
by it: instead ``ops`` attaches the methods named in the tables at the end (`attach_methods`)
once its functions exist. So ``a @ b + c`` and ``ops.add(ops.matmul(a, b), c)`` are the same
graph, and the methods written out here compose those attached ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import autograd, backend, hooks, random

float32, float64, int64, bool_ = np.float32, np.float64, np.int64, np.bool_


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Attributes:
        data: the values, a ``numpy.ndarray`` (device "cpu") or ``cupy.ndarray`` ("cuda").
        grad: after ``backward()``, the gradient of the output w.r.t. this tensor (an array
            of the same shape and backend), or None.
        requires_grad: whether operations on this tensor are recorded.
    """

    __slots__ = (
        "data", "grad", "requires_grad", "_ctx", "_out_index", "_hooks", "_version", "_twin",
        "__weakref__",
    )  # fmt: skip
    __array_ufunc__ = None  # `np.float32(2) * t` must call Tensor.__rmul__, not NumPy
    __hash__ = object.__hash__  # == is elementwise; identity keeps tensors usable in sets

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if requires_grad and data.dtype.kind not in "fc":
            raise TypeError(f"Tensor: requires_grad needs a floating dtype, got {data.dtype}")
        self.data = data
        self.grad: Any = None
        self.requires_grad = requires_grad
        self._ctx: autograd.Context | None = None
        self._out_index = 0
        self._hooks: hooks.HookTable | None = None  # gradient hooks of a leaf
        self._version = 0  # how many in-place changes it has seen (autograd.apply_in_place)
        self._twin: Any = None  # its stand-in in the graph, or a stand-in's original (autograd)

    # ---- what it is ----------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    device = property(lambda self: backend.device_of(self.data))
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        return len(self.data)

    def __bool__(self) -> bool:
        # without this, Python falls back to __len__: tensor([0.0]) would be True
        if self.data.size != 1:
            raise ValueError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                f"reduce it first (e.g. (x > 0).data.all())"
            )
        return bool(self.data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(t)`` (and so ``plt.plot(t)``) sees the values of a CPU tensor."""
        if self.device != "cpu":
            raise TypeError(
                f"np.asarray: the tensor is on {self.device!r}; call .numpy() "
                "to copy it to the host explicitly"
            )
        out = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return out.copy() if copy else out

    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self.data), separator=", ", precision=4)
        body = body.replace("\n", "\n       ")
        extras = [] if self.dtype in (float32, int64, bool_) else [f"dtype={self.dtype}"]
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        """The DLPack capsule of the values (no copy), for ``torch.from_dlpack(t)``,
        ``jax.dlpack.from_dlpack``, ``cupy.from_dlpack`` or ``np.from_dlpack``; the arguments
        (``stream``, ``max_version``, ...) go to the array underneath. See `minidl.dlpack`."""
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        """(DLPack device type, device id): (1, 0) on the CPU, (2, id) on a CUDA GPU."""
        return self.data.__dlpack_device__()

    # ---- leaving the graph, changing device or dtype ------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (copied from the GPU if needed)."""
        return backend.to_numpy(self.data)

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory)."""
        return Tensor(self.data)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.dtype.kind not in "fc":
            raise TypeError(f"requires_grad_: needs a floating dtype, got {self.dtype}")
        self.requires_grad = flag
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` of this non-leaf tensor after backward (leaves always keep it)."""
        if self._ctx is not None:
            self._ctx.retained[self._out_index] = self
        return self

    def register_hook(self, hook: Any) -> hooks.RemovableHandle:
        """Call ``hook(grad)`` each time the gradient w.r.t. this tensor is computed, as in
        PyTorch. ``grad`` is a Tensor; a hook that returns a tensor replaces the gradient (for
        a leaf, before it is added to ``.grad``; for an intermediate tensor, before it flows on
        to the ops that made it). Returns a handle whose ``remove()`` takes the hook out.

        >>> h = w.register_hook(lambda g: g.clamp(-1, 1))   # clip this gradient
        >>> h.remove()
        """
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that does not require grad"
            )
        if self._ctx is None:
            if self._hooks is None:
                self._hooks = hooks.HookTable()
            table = self._hooks
        else:
            table = self._ctx.output_hooks(self._out_index)
        return hooks.add(table, hook, what="register_hook")

    def to(self, *args: Any, dtype: Any = None, device: str | None = None, **kwargs: Any) -> Tensor:
        """``t.to("cuda")``, ``t.to(md.float64)``, ``t.to("cuda", md.float64)``,
        ``t.to(other)`` (other's device and dtype), or ``dtype=`` / ``device=``. Differentiable.

        PyTorch's ``non_blocking`` and ``copy`` are accepted; minidl's copies are synchronous."""
        unknown = set(kwargs) - {"non_blocking", "copy", "memory_format"}
        if unknown:
            raise TypeError(f"to: unexpected keyword {sorted(unknown)[0]!r}")
        for a in args:
            if isinstance(a, bool):  # positional non_blocking / copy
                continue
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, str):
                device = a
            else:
                dtype = a
        out = self
        if device is not None:
            out = out._to_device(device.split(":")[0])
        return out if dtype is None else out._astype(dtype)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def float(self, memory_format: Any = None) -> Tensor:
        return self.to(float32)

    def double(self, memory_format: Any = None) -> Tensor:
        return self.to(float64)

    def long(self, memory_format: Any = None) -> Tensor:
        return Tensor(self.data.astype(int64))

    def backward(
        self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Compute gradients of this tensor w.r.t. every leaf that requires grad.

        ``grad`` (an array or Tensor of this tensor's shape) is needed unless it holds a
        single value. The graph is freed afterwards unless ``retain_graph=True``.
        ``create_graph=True`` records the backward too: each ``.grad`` becomes a Tensor with a
        graph, to differentiate again (``retain_graph`` then defaults to True, as in PyTorch).
        """
        if create_graph:
            if grad is not None and not isinstance(grad, Tensor) and not hasattr(grad, "shape"):
                grad = backend.array_module(self.data).full(self.shape, grad, self.dtype)
            if grad is not None and not isinstance(grad, Tensor):
                grad = Tensor(backend.array_module(self.data).asarray(grad, dtype=self.dtype))
            autograd.backward(self, grad, True if retain_graph is None else retain_graph, True)
            return
        if isinstance(grad, Tensor):
            grad = grad.data
        elif grad is not None and not hasattr(grad, "shape"):  # a Python number
            grad = backend.array_module(self.data).full(self.shape, grad, self.dtype)
        autograd.backward(self, grad, bool(retain_graph))

    # ---- arithmetic: the operators (`t + o` is ops.add(t, o)) are attached by minidl.ops;
    # comparisons give bool tensors outside the graph
    def _compare(self, o: Any, name: str) -> Tensor:
        return Tensor(getattr(self.data, name)(o.data if isinstance(o, Tensor) else o))

    def __lt__(self, o: Any) -> Tensor:
        return self._compare(o, "__lt__")

    def __le__(self, o: Any) -> Tensor:
        return self._compare(o, "__le__")

    def __gt__(self, o: Any) -> Tensor:
        return self._compare(o, "__gt__")

    def __ge__(self, o: Any) -> Tensor:
        return self._compare(o, "__ge__")

    def __eq__(self, o: Any) -> Tensor:  # type: ignore[override]
        return self._compare(o, "__eq__")

    def __ne__(self, o: Any) -> Tensor:  # type: ignore[override]
        return self._compare(o, "__ne__")

    def __invert__(self) -> Tensor:
        return Tensor(~self.data)

    def __and__(self, o: Any) -> Tensor:
        return self._compare(o, "__and__")

    def __or__(self, o: Any) -> Tensor:
        return self._compare(o, "__or__")

    def __xor__(self, o: Any) -> Tensor:
        return self._compare(o, "__xor__")

    # ---- in place: only where no graph is being recorded (PyTorch's optimizer and init
    # code runs them under no_grad); inside a graph `x += y` becomes `x = x + y`
    def _in_place(self, op: str, value: Any) -> Tensor:
        recording = autograd.is_grad_enabled() and (
            self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)
        )
        if recording and self.is_leaf and self.requires_grad:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad cannot be changed in place; wrap the "
                "update in `with md.no_grad():` (as an optimizer does)"
            )
        if recording:
            raise NotImplementedError(
                f"{op}: minidl does not record in-place changes in the graph; write it out of "
                "place (`x = x + y` instead of `x += y`, `y = x.clamp(0)` instead of clamp_)"
            )
        value = value.data if isinstance(value, Tensor) else value
        self.data[...] = value
        self._version += 1
        return self

    def _augmented(self, op: str, result: Any) -> Tensor:
        """``x += y``: in place when nothing is recorded, else the out-of-place result."""
        if autograd.is_grad_enabled() and (self.requires_grad or result.requires_grad):
            if self.is_leaf and self.requires_grad:
                return self._in_place(op, result)  # raises PyTorch's leaf error
            return result
        return self._in_place(op, result)

    def __iadd__(self, o: Any) -> Tensor:
        return self._augmented("+=", self + o)

    def __isub__(self, o: Any) -> Tensor:
        return self._augmented("-=", self - o)

    def __imul__(self, o: Any) -> Tensor:
        return self._augmented("*=", self * o)

    def __itruediv__(self, o: Any) -> Tensor:
        return self._augmented("/=", self / o)

    def zero_(self) -> Tensor:
        return self._in_place("zero_", 0)

    def fill_(self, value: Any) -> Tensor:
        return self._in_place("fill_", value)

    def copy_(self, src: Any) -> Tensor:
        src = src.data if isinstance(src, Tensor) else src
        return self._in_place("copy_", backend.to_device(src, self.device))

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self._in_place("add_", self.detach().add(_plain(other), alpha=alpha))

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return self._in_place("sub_", self.detach().sub(_plain(other), alpha=alpha))

    def mul_(self, other: Any) -> Tensor:
        return self._in_place("mul_", self.detach().mul(_plain(other)))

    def div_(self, other: Any) -> Tensor:
        return self._in_place("div_", self.detach().div(_plain(other)))

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self._in_place("clamp_", self.detach().clamp(_plain(min), _plain(max)))

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        return self._in_place("masked_fill_", self.detach().masked_fill(mask, _plain(value)))

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        values = random.generator().uniform(a, b, self.shape)
        return self._in_place("uniform_", backend.to_device(values.astype(self.dtype), self.device))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        values = random.generator().normal(mean, std, self.shape)
        return self._in_place("normal_", backend.to_device(values.astype(self.dtype), self.device))

    # ---- PyTorch's shape vocabulary
    def size(self, dim: int | None = None) -> Any:
        """The shape (a tuple, PyTorch's ``torch.Size``), or the length of dim ``dim``."""
        if dim is None:
            return self.shape
        return self.shape[_dim("size", dim, self.ndim)] if self.ndim else 1

    def dim(self) -> int:
        return self.ndim

    ndimension = dim
    nelement = numel

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    reshape_as = view_as

    def expand(self, *sizes: Any) -> Tensor:
        """``t.expand(2, 3)`` or ``t.expand((2, 3))``: broadcast to a larger shape (-1 keeps
        a dim)."""
        if len(sizes) == 1 and not isinstance(sizes[0], int):
            sizes = tuple(sizes[0])
        return self.broadcast_to(sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's and PyTorch's name
        return self.permute(tuple(range(self.ndim))[::-1])

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return self.transpose(-2, -1)

    def contiguous(self) -> Tensor:
        return self

    def type_as(self, other: Tensor) -> Tensor:
        return self._astype(other.dtype)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A new tensor on this one's device, this one's dtype unless ``dtype`` is given."""
        return tensor(data, requires_grad, self.device, self.dtype if dtype is None else dtype)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False, **layout: Any) -> Tensor:  # fmt: skip
        """A new tensor of ``size`` with this one's dtype and device unless given."""
        size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0 for n in size):
            raise ValueError(f"new_full: sizes must be non-negative ints, got {size}")
        xp = backend.xp_for(device or self.device)
        data = xp.full(size, fill_value, np.dtype(self.dtype if dtype is None else dtype))
        return Tensor(data, requires_grad)

    def new_zeros(self, *size: Any, **kwargs: Any) -> Tensor:
        size = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
        return self.new_full(size, 0, **kwargs)

    new_empty = new_zeros

    def new_ones(self, *size: Any, **kwargs: Any) -> Tensor:
        size = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
        return self.new_full(size, 1, **kwargs)

    def type(self, dtype: Any = None) -> Any:
        """``t.type()`` names the dtype; ``t.type(md.float64)`` converts to it."""
        if dtype is None:
            return f"minidl.{self.dtype.name}"
        return self._astype(dtype)

    def half(self, memory_format: Any = None) -> Tensor:
        return self.to(np.float16)

    def byte(self, memory_format: Any = None) -> Tensor:
        return Tensor(self.data.astype(np.uint8))

    def char(self, memory_format: Any = None) -> Tensor:
        return Tensor(self.data.astype(np.int8))

    def short(self, memory_format: Any = None) -> Tensor:
        return Tensor(self.data.astype(np.int16))

    def int(self, memory_format: Any = None) -> Tensor:
        return Tensor(self.data.astype(np.int32))

    def bool(self, memory_format: Any = None) -> Tensor:
        return Tensor(self.data.astype(np.bool_))


autograd.tensor_type = Tensor  # what `Function.apply` wraps its results in


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _dim(op: str, d: Any, ndim: int) -> int:
    """One dim as a non-negative int (a 0-d tensor accepts 0 and -1, as in PyTorch)."""
    span = max(ndim, 1)
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {d!r}")
    if not -span <= d < span:
        raise IndexError(
            f"{op}: dim {d} is out of range for a tensor with {ndim} dims "
            f"(expected {-span}..{span - 1})"
        )
    return int(d) % span


# ---- the methods minidl.ops attaches ----------------------------------------------------------
# `t.name(...)` is `ops.name(t, ...)`
FORWARDED_METHODS = """
    sum mean amax amin max min argmax argmin prod var std logsumexp norm all any
    count_nonzero cumsum cumprod sort argsort topk kthvalue median gather take_along_dim
    index_select masked_fill masked_select nonzero
    exp log sqrt abs neg relu sigmoid tanh clamp clip clamp_min clamp_max pow
    log1p expm1 log2 log10 exp2 sin cos tan asin acos atan sinh cosh square rsqrt
    reciprocal sign floor ceil trunc frac round isnan isinf isfinite logical_not
    logical_and logical_or maximum minimum add sub mul div true_divide floor_divide
    remainder
    softmax log_softmax matmul mm bmm mv dot outer
    reshape permute repeat
    flatten unflatten transpose swapaxes swapdims t movedim unsqueeze squeeze flip fliplr
    flipud roll narrow tril triu split tensor_split chunk unbind clone tile
    eq ne lt le gt ge greater greater_equal less less_equal not_equal isclose allclose equal
    asinh acosh atanh deg2rad rad2deg sgn erf erfc erfinv logit nan_to_num
    atan2 arctan2 xlogy hypot logaddexp fmod lerp addcmul addcdiv addmm addmv baddbmm addbmm
    addr scatter scatter_add index_add index_copy index_fill take aminmax nansum nanmean
    cummax cummin logcumsumexp diagonal diag trace kron cross dist unique bincount histc
    ravel select rot90 repeat_interleave diff broadcast_to argwhere var_mean std_mean
""".split()

# `t.method(...)` is `ops.op(t, ...)`: Python's operators, and the ops that `to` and `type` use
RENAMED_METHODS = {
    "__add__": "add",
    "__sub__": "sub",
    "__mul__": "mul",
    "__truediv__": "div",
    "__floordiv__": "floor_divide",
    "__mod__": "remainder",
    "__pow__": "pow",
    "__matmul__": "matmul",
    "__neg__": "neg",
    "__abs__": "abs",
    "__getitem__": "getitem",
    "view": "reshape",
    "_astype": "astype",
    "_to_device": "to_device",
}

# `t.method(a, ...)` is `ops.op(a, t, ...)`: `2 - t` is ops.sub(2, t), and
# `t.where(condition, y)` is ops.where(condition, t, y)
REFLECTED_METHODS = {
    "__radd__": "add",
    "__rsub__": "sub",
    "__rmul__": "mul",
    "__rtruediv__": "div",
    "__rpow__": "pow",
    "__rmatmul__": "matmul",
    "where": "where",
}


def attach_methods(ops: dict[str, Any]) -> None:
    """Make each method of the tables above, from ``ops`` (the namespace of `minidl.ops`).

    Called by `minidl.ops` once its functions exist; they build on `Tensor`, so this module
    cannot import them (tests/test_import_graph.py keeps it so)."""
    methods = {name: name for name in FORWARDED_METHODS} | RENAMED_METHODS
    for name, op in methods.items():
        setattr(Tensor, name, _forwarding(name, ops[op]))
    for name, op in REFLECTED_METHODS.items():
        setattr(Tensor, name, _reflected(name, ops[op]))


def _forwarding(name: str, fn: Any) -> Any:
    """``t.name(...)`` calls ``fn(t, ...)``: one graph whichever spelling is used."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    return _named(method, name, fn)


def _reflected(name: str, fn: Any) -> Any:
    """``t.name(a, ...)`` calls ``fn(a, t, ...)``."""

    def method(self: Tensor, first: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(first, self, *args, **kwargs)

    return _named(method, name, fn)


def _named(method: Any, name: str, fn: Any) -> Any:
    method.__name__, method.__qualname__ = name, f"Tensor.{name}"
    method.__doc__ = fn.__doc__
    return method


def _infer_dtype(data: Any, dtype: Any) -> Any:
    if dtype is not None:
        return np.dtype(dtype)
    if isinstance(data, (np.ndarray, np.generic)) or backend.is_cupy_array(data):
        return data.dtype  # an array or NumPy scalar keeps its dtype (float64 stays float64)
    kind = np.asarray(data).dtype.kind
    return {"f": float32, "i": int64, "u": int64, "b": bool_}.get(kind, float32)


def tensor(
    data: Any, requires_grad: bool = False, device: str = "cpu", dtype: Any = None
) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (a list, number, NumPy/CuPy array).

    Python floats become float32 (the default dtype); an array keeps its dtype.
    """
    if isinstance(data, Tensor):
        data = data.data
    elif backend.is_foreign_array(data):  # a PyTorch tensor, a JAX array: read by DLPack
        data = backend.from_dlpack(data)
    dtype = _infer_dtype(data, dtype)
    xp = backend.xp_for(device)
    if backend.is_cupy_array(data) and device == "cpu":
        data = data.get()
    return Tensor(xp.array(data, dtype=dtype, copy=True), requires_grad=requires_grad)
