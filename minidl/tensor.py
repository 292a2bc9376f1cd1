"""`Tensor`: an array (NumPy or CuPy), its gradient, and the node that produced it.

The arithmetic lives in `minidl.ops`; the methods here only forward to it, so that
``a @ b + c`` and ``ops.add(ops.matmul(a, b), c)`` are the same graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import autograd, backend

float32, float64, int64, bool_ = np.float32, np.float64, np.int64, np.bool_


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Attributes:
        data: the values, a ``numpy.ndarray`` (device "cpu") or ``cupy.ndarray`` ("cuda").
        grad: after ``backward()``, the gradient of the output w.r.t. this tensor (an array
            of the same shape and backend), or None.
        requires_grad: whether operations on this tensor are recorded.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_out_index", "__weakref__")
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

    # ---- what it is ----------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
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

    def to(self, target: Any) -> Tensor:
        """``t.to("cuda")`` moves it; ``t.to(md.float64)`` converts it. Differentiable."""
        from . import ops

        if isinstance(target, str):
            return ops.to_device(self, target)
        return ops.astype(self, target)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return Tensor(self.data.astype(int64))

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Compute gradients of this tensor w.r.t. every leaf that requires grad.

        ``grad`` (an array or Tensor of this tensor's shape) is needed unless it holds a
        single value. The graph is freed afterwards unless ``retain_graph=True``.
        """
        if isinstance(grad, Tensor):
            grad = grad.data
        elif grad is not None and not hasattr(grad, "shape"):  # a Python number
            grad = backend.array_module(self.data).full(self.shape, grad, self.dtype)
        autograd.backward(self, grad, retain_graph)

    # ---- arithmetic: every method forwards to minidl.ops ---------------------------------
    def __add__(self, o: Any) -> Tensor:
        return ops.add(self, o)

    def __radd__(self, o: Any) -> Tensor:
        return ops.add(o, self)

    def __sub__(self, o: Any) -> Tensor:
        return ops.sub(self, o)

    def __rsub__(self, o: Any) -> Tensor:
        return ops.sub(o, self)

    def __mul__(self, o: Any) -> Tensor:
        return ops.mul(self, o)

    def __rmul__(self, o: Any) -> Tensor:
        return ops.mul(o, self)

    def __truediv__(self, o: Any) -> Tensor:
        return ops.div(self, o)

    def __rtruediv__(self, o: Any) -> Tensor:
        return ops.div(o, self)

    def __pow__(self, o: Any) -> Tensor:
        return ops.pow(self, o)

    def __rpow__(self, o: Any) -> Tensor:
        return ops.pow(o, self)

    def __matmul__(self, o: Tensor) -> Tensor:
        return ops.matmul(self, o)

    def __rmatmul__(self, o: Tensor) -> Tensor:
        return ops.matmul(o, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

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

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.min(self, axis, keepdims)

    def argmax(self, axis: int | None = None) -> Tensor:
        return ops.argmax(self, axis)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return ops.clamp(self, min, max)

    def softmax(self, dim: int = -1) -> Tensor:
        return ops.softmax(self, dim)

    def log_softmax(self, dim: int = -1) -> Tensor:
        return ops.log_softmax(self, dim)

    def matmul(self, o: Tensor) -> Tensor:
        return ops.matmul(self, o)

    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim: int = 0) -> Tensor:
        return ops.flatten(self, start_dim)

    def permute(self, *axes: Any) -> Tensor:
        return ops.permute(self, *axes)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        return ops.transpose(self, dim0, dim1)

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        return ops.permute(self, tuple(range(self.ndim))[::-1])

    def unsqueeze(self, dim: int) -> Tensor:
        return ops.unsqueeze(self, dim)

    def squeeze(self, dim: int | None = None) -> Tensor:
        return ops.squeeze(self, dim)

    def expand(self, *shape: Any) -> Tensor:
        """``t.expand(2, 3)`` or ``t.expand((2, 3))``: broadcast to a larger shape."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = tuple(shape[0])
        return ops.broadcast_to(self, shape)


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
    dtype = _infer_dtype(data, dtype)
    xp = backend.xp_for(device)
    if backend.is_cupy_array(data) and device == "cpu":
        data = data.get()
    return Tensor(xp.array(data, dtype=dtype, copy=True), requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (no copy, dtype kept)."""
    return Tensor(array)


def zeros(
    *shape: int, dtype: Any = float32, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    return Tensor(backend.xp_for(device).zeros(shape, dtype), requires_grad)


def ones(
    *shape: int, dtype: Any = float32, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    return Tensor(backend.xp_for(device).ones(shape, dtype), requires_grad)


def randn(
    *shape: int, dtype: Any = float32, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """Standard normal values from the library generator (`md.manual_seed`)."""
    values = random.generator().standard_normal(shape).astype(dtype)
    return tensor(values, requires_grad=requires_grad, device=device)


def rand(
    *shape: int, dtype: Any = float32, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """Uniform [0, 1) values from the library generator."""
    values = random.generator().random(shape).astype(dtype)
    return tensor(values, requires_grad=requires_grad, device=device)


def arange(*args: float, dtype: Any = None, device: str = "cpu") -> Tensor:
    values = np.arange(*args, dtype=dtype)
    if dtype is None and values.dtype.kind == "f":
        values = values.astype(float32)  # the float32 default, as for md.tensor(2.5)
    return tensor(values, device=device)


def zeros_like(t: Tensor) -> Tensor:
    return Tensor(backend.array_module(t.data).zeros_like(t.data))


def ones_like(t: Tensor) -> Tensor:
    return Tensor(backend.array_module(t.data).ones_like(t.data))


from . import ops, random  # noqa: E402  (ops import Tensor from this module)
