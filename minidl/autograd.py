"""The autograd engine: `Function`, the graph it records, and `backward`.

A `Function` is one differentiable step. ``forward(ctx, *arrays)`` computes with plain
arrays and stores what backward needs on ``ctx``; ``backward(ctx, *grads)`` returns one
gradient array per forward argument. ``Function.apply`` wraps that in Tensors and, when a
gradient is needed, records the node (the ``ctx``) on the outputs.

``backward`` visits the recorded nodes in reverse topological order (found with an explicit
stack, so a graph 10,000 ops deep is fine), hands each node the sum of the gradients of its
outputs, sums broadcast gradients back to each input's shape, and frees every node it has
used, so a second backward through the same graph fails loudly instead of silently.

With ``create_graph=True`` the same sweep runs on Tensors instead of arrays: each node's
backward is itself computed with recorded ops (`higher_order.vjp`), so the gradients it
returns have a graph and can be differentiated again (Hessian-vector products, gradient
penalties). The array path stays as it was, so first-order training pays nothing for it.

Tools a learner debugs with hook in here: `detect_anomaly` (anomaly.py), gradient hooks
(`Tensor.register_hook`, hooks.py).
"""

from __future__ import annotations

import contextlib
import weakref
from typing import TYPE_CHECKING, Any

from . import anomaly, backend, hooks, profiler
from .anomaly import (  # md.autograd.detect_anomaly, as torch.autograd.detect_anomaly
    AnomalyError,
    detect_anomaly,
    is_anomaly_enabled,
    set_detect_anomaly,
)

__all__ = ["AnomalyError", "Context", "Function", "backward", "detect_anomaly", "enable_grad"]
__all__ += ["grad"]
__all__ += ["is_anomaly_enabled", "is_grad_enabled", "no_grad", "set_detect_anomaly"]
__all__ += ["sum_to_shape"]

if TYPE_CHECKING:
    from .tensor import Tensor

_grad_enabled = True

# The class `Function.apply` wraps its results in. `minidl.tensor` sets it to `Tensor` as it
# is imported: that module builds on this one, so this one cannot import it.
tensor_type: type[Tensor] | None = None

# What ``create_graph=True`` runs at each node: `higher_order.vjp`, which sets it as it is
# imported (it builds on this module, so this one cannot import it).
differentiable_backward: Any = None


def is_grad_enabled() -> bool:
    return _grad_enabled


class no_grad(contextlib.ContextDecorator):
    """Inside this block (or decorated function) no graph is recorded."""

    _enabled = False

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self._enabled

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def _recreate_cm(self) -> no_grad:
        # a fresh instance per call of a decorated function, so that a recursive call does
        # not overwrite the outer call's `_previous` (and leave grad disabled for good)
        return type(self)()


class enable_grad(no_grad):
    """Record graphs again inside a `no_grad` block."""

    _enabled = True


class Context:
    """What one `Function` call remembers between forward and backward (PyTorch's ``ctx``).

    Besides `save_for_backward`, a forward may set any attribute (``ctx.stride = 2``).
    """

    def __init__(self, fn: type[Function], needs_input_grad: tuple[bool, ...]) -> None:
        self.fn = fn
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple[Any, ...] = ()

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays

    def output_hooks(self, index: int) -> hooks.HookTable:
        """The gradient hooks of output ``index`` (`Tensor.register_hook` on a non-leaf)."""
        _check_alive(self)
        table = self.__dict__.setdefault("hooks", {})
        return table.setdefault(index, hooks.HookTable())

    def __repr__(self) -> str:
        return f"<{self.fn.__name__}Backward>"


class Function:
    """Base class of every differentiable op; subclass it with two static methods.

    ``forward(ctx, *args)`` receives arrays where the caller passed Tensors and returns an
    array (or a tuple of arrays). ``backward(ctx, *grads)`` receives one gradient per output
    (zeros for an unused float output, None for an integer one) and returns one gradient per
    forward argument (or None). It must not modify the gradients it receives.
    """

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        Tensor: Any = tensor_type
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = _grad_enabled and any(needs)
        ctx = Context(cls, needs)
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        prof = profiler.current
        if prof is None:
            out = cls.forward(ctx, *arrays, **kwargs)
        else:
            event = prof.begin(cls.__name__, "forward", profiler.shapes_of(arrays))
            ctx.forward_event = event  # for the graph view (viz/graph.py): time per node
            try:
                out = cls.forward(ctx, *arrays, **kwargs)
            finally:
                prof.end(event)
        outs = out if isinstance(out, tuple) else (out,)
        if anomaly.enabled:
            ctx.created_at = anomaly.creation_site()
            anomaly.check_forward(cls.__name__, arrays, outs, ctx.created_at)
        tensors = tuple(Tensor(o, requires_grad=record and _is_float(o)) for o in outs)
        if record:
            ctx.inputs = tuple(a if n else None for a, n in zip(args, needs))
            # where each input's gradient goes, fixed now: an in-place op may later make the
            # same Tensor the output of another node (`apply_in_place`)
            ctx.edges = tuple((a._ctx, a._out_index) if n else None for a, n in zip(args, needs))
            ctx.versions = _saved_versions(ctx.saved_tensors, args, tensors)
            # what a differentiable backward (create_graph=True) re-applies ops to
            ctx.args, ctx.kwargs = args, kwargs
            if getattr(cls, "linear", None) == "all" and not hasattr(cls, "vjp"):
                # its backward reads none of its inputs' values: keep no large ones alive
                ctx.inputs, ctx.args = _lightened(ctx.inputs), _lightened(args)
            ctx.outputs = tuple((o.shape, o.dtype) for o in outs)
            ctx.retained = {}
            for i, t in enumerate(tensors):
                if t.requires_grad:
                    t._ctx, t._out_index = ctx, i
        return tensors if isinstance(out, tuple) else tensors[0]


def _is_float(a: Any) -> bool:
    return a.dtype.kind in "fc"


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum ``grad`` over the axes that broadcasting added or stretched."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    lead = grad.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    axes = tuple(range(lead)) + stretched
    if isinstance(grad, tensor_type):  # create_graph: a recorded sum
        return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad.reshape(shape)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _check_alive(node: Context) -> None:
    if not hasattr(node, "inputs"):
        raise RuntimeError(
            "backward: this graph was already freed by an earlier backward(); "
            "pass retain_graph=True to the first backward() to go through it twice"
        )


def _topological_order(*roots: Context) -> list[Context]:
    """Every node that leads to ``roots``, each after all nodes that consume its outputs."""
    order, visited, stack = [], set(), [(root, False) for root in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        _check_alive(node)
        visited.add(node)
        stack.append((node, True))
        for edge in node.edges:
            if edge is not None and edge[0] is not None and edge[0] not in visited:
                stack.append((edge[0], False))
    return order[::-1]


class _Owner:
    """Decides when a gradient must be copied before it becomes somebody's ``.grad``.

    Backward functions may return views or the very array they received (``add`` hands the
    same gradient to both inputs); a ``.grad`` that aliases another array would change when
    that one is updated in place, and a ``.grad`` that aliases a gradient still waiting for
    its node would corrupt it at the next ``+=``. So views, arrays already handed out and
    arrays in flight are copied.
    """

    def __init__(self) -> None:
        self.handed_out: set[int] = set()
        self.in_flight: set[int] = set()  # waiting in `pending` for their node's backward
        self.hooked_leaves: dict[int, tuple[Any, Any]] = {}  # leaves with hooks: (t, sum)
        # `grad` collects the gradients of chosen tensors instead of filling any .grad:
        self.captured: list[Any] | None = None
        self.capture_leaves: dict[int, int] = {}  # id(leaf) -> position in `captured`
        self.capture_nodes: dict[tuple[int, int], int] = {}  # (id(ctx), output) -> position

    def capture(self, position: int, g: Any) -> None:
        held = self.captured[position]
        if isinstance(g, tensor_type):  # create_graph: Tensors are never changed in place
            self.captured[position] = g if held is None else held + g
        else:
            self.captured[position] = g.copy() if held is None else held + g

    def release_hooked_leaves(self) -> None:
        """Run the hooks of leaves that have them on their summed gradient; store it."""
        for t, g in self.hooked_leaves.values():
            _store(t, _hooked(t._hooks, g, t.shape), self)
        self.hooked_leaves.clear()

    def claim(self, g: Any) -> Any:
        if g.base is not None or id(g) in self.handed_out or id(g) in self.in_flight:
            g = g.copy()
        self.handed_out.add(id(g))
        return g

    def share(self, g: Any) -> Any:
        """``g`` goes to a node's pending gradients; it must not be an array a ``.grad`` holds."""
        if id(g) in self.handed_out:
            g = g.copy()
        self.in_flight.add(id(g))
        return g


def _hooked(table: hooks.HookTable, g: Any, shape: tuple[int, ...]) -> Any:
    """``g`` after the gradient hooks in ``table``: each may return a replacement."""
    Tensor: Any = tensor_type
    graph = isinstance(g, Tensor)  # create_graph: the hook's result stays in the graph
    for hook in list(table.values()):
        out = hook(g if graph else Tensor(g))
        if out is None:
            continue
        if graph:
            new = (
                out
                if isinstance(out, Tensor)
                else Tensor(backend.array_module(g.data).asarray(out))
            )
        else:
            new = out.data if isinstance(out, Tensor) else backend.array_module(g).asarray(out)
        if tuple(new.shape) != tuple(shape):
            raise RuntimeError(
                f"register_hook: the hook {getattr(hook, '__name__', hook)!r} returned a "
                f"gradient of shape {new.shape} for a tensor of shape {shape}"
            )
        g = new.to(g.dtype) if graph else new.astype(g.dtype, copy=False)
    return g


def _accumulate_into(t: Tensor, g: Any, owner: _Owner) -> None:
    if owner.captured is not None:  # autograd.grad: no .grad is touched
        position = owner.capture_leaves.get(id(t))
        if position is not None:
            owner.capture(position, g)
        return
    if t._hooks:  # its hooks see the leaf's whole gradient: sum first, hook at the end
        held = owner.hooked_leaves.get(id(t))
        owner.hooked_leaves[id(t)] = (t, g if held is None else held[1] + g)
        return
    _store(t, g, owner)


def _store(t: Tensor, g: Any, owner: _Owner) -> None:
    if isinstance(g, tensor_type):  # create_graph: .grad is a Tensor with a graph
        held = t.grad
        if held is not None and not isinstance(held, tensor_type):
            held = tensor_type(held)
        t.grad = g if held is None else held + g  # out of place: keeps both graphs
        return
    if t.grad is None:
        t.grad = owner.claim(g)
    else:
        t.grad += g  # the `+=` of a node used twice, or of a second backward()


def backward(
    root: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False
) -> None:
    """Fill ``.grad`` of every leaf that ``root`` depends on (see `Tensor.backward`)."""
    prof = profiler.current
    if prof is not None:
        event = prof.begin("backward()", "engine", profiler.shapes_of([root.data]))
        try:
            return _backward(root, grad, retain_graph, create_graph)
        finally:
            prof.end(event)
    return _backward(root, grad, retain_graph, create_graph)


def _backward(root: Tensor, grad: Any, retain_graph: bool, create_graph: bool) -> None:
    xp = backend.array_module(root.data)
    if not root.requires_grad:
        raise RuntimeError("backward: the tensor does not require grad and has no graph")
    if create_graph:
        seed = _seed_gradient("backward", root, _data(grad), xp)
        seed = grad if isinstance(grad, tensor_type) else tensor_type(seed)
        _sweep([(root, seed)], retain_graph, _Owner(), xp, create_graph=True)
        return
    grad = _seed_gradient("backward", root, grad, xp)
    owner = _Owner()
    owner.handed_out.add(id(grad))  # the caller's array: never alias it
    _sweep([(root, grad)], retain_graph, owner, xp)


def _data(g: Any) -> Any:
    return g.data if isinstance(g, tensor_type) else g


def _seed_gradient(op: str, out: Tensor, g: Any, xp: Any) -> Any:
    """The gradient a sweep starts from at ``out``: ``g`` (an array of its shape), or ones
    when ``g`` is None and ``out`` holds a single value."""
    if g is None:
        if out.data.size != 1:
            raise ValueError(
                f"{op}: a gradient must be given for a non-scalar output of shape {out.shape}; "
                f"pass one, or reduce the output to a scalar first"
            )
        return xp.ones_like(out.data)
    if g.shape != out.shape:
        raise ValueError(f"{op}: gradient of shape {g.shape} for output {out.shape}")
    return g


def _sweep(
    starts: list[tuple[Tensor, Any]],
    retain_graph: bool,
    owner: _Owner,
    xp: Any,
    create_graph: bool = False,
    useful: set[Context] | None = None,
) -> None:
    """Send each (tensor, gradient) of ``starts`` back through the graph behind them: arrays,
    or Tensors with ``create_graph``. With ``useful``, only those nodes run (and are freed)."""
    pending: dict[Context, list[Any]] = {}
    for t, g in starts:
        if t._ctx is None:
            _accumulate_into(t, g, owner)
            continue
        _check_alive(t._ctx)
        slots = pending.setdefault(t._ctx, [None] * len(t._ctx.outputs))
        held = slots[t._out_index]
        slots[t._out_index] = g if held is None else held + g
    for node in _topological_order(*pending):
        grads = pending.pop(node, None)
        if useful is not None and node not in useful:
            if grads is not None:  # an input of `grad` itself: take its gradient, go no further
                _hook_and_capture(node, grads, owner)
            continue
        if grads is not None:
            if create_graph:
                _run_node_differentiably(node, grads, pending, owner, xp)
            else:
                _run_node(node, grads, pending, owner, xp)
        if not retain_graph:
            _free(node)
    owner.release_hooked_leaves()


def _useful_nodes(roots: list[Tensor], owner: _Owner) -> set[Context]:
    """The nodes behind ``roots`` through which a gradient reaches a tensor that
    `grad` captures: the others need not run, and must not be freed (PyTorch's rule)."""
    order = _topological_order(*{t._ctx for t in roots if t._ctx is not None})
    useful: set[Context] = set()
    for node in reversed(order):  # producers first
        for t, edge in zip(node.inputs, node.edges):
            if t is None:
                continue
            producer, index = edge
            if producer is None:
                reaches = id(t) in owner.capture_leaves
            else:
                reaches = producer in useful or (id(producer), index) in owner.capture_nodes
            if reaches:
                useful.add(node)
                break
    return useful


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned instead of stored in ``.grad``
    (no ``.grad`` changes). Reference: ``torch.autograd.grad``.

    ``outputs`` and ``inputs`` are tensors or sequences of them; ``grad_outputs`` one gradient
    per output (needed for non-scalar outputs). An input that the outputs do not depend on
    raises, unless ``allow_unused=True`` (then its gradient is None, or zeros with
    ``materialize_grads=True``). The graph is freed unless ``retain_graph=True``.

    >>> x = md.tensor([1.0, 2.0], requires_grad=True)
    >>> (dx,) = md.autograd.grad((x ** 3).sum(), x)      # 3 x^2: [3., 12.]

    ``create_graph=True`` records the backward itself, so the gradients returned have a graph
    and can be differentiated again; ``retain_graph`` then defaults to True (PyTorch's rule).
    Only the nodes between ``outputs`` and ``inputs`` run; the rest of the graph is untouched.

    >>> x = md.tensor([1.0, 2.0], requires_grad=True)
    >>> (dx,) = md.autograd.grad((x ** 3).sum(), x, create_graph=True)    # 3 x^2
    >>> (ddx,) = md.autograd.grad(dx.sum(), x)                            # 6 x: [6., 12.]
    """
    Tensor: Any = tensor_type
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True is not supported")
    del only_inputs  # PyTorch's deprecated flag: the answer is always for `inputs` only
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not outputs or not inputs:
        raise ValueError("autograd.grad: expected at least one output and one input")
    for name, group in (("outputs", outputs), ("inputs", inputs)):
        for t in group:
            if not isinstance(t, Tensor):
                raise TypeError(f"autograd.grad: {name} must be Tensors, got {type(t).__name__}")
            if not t.requires_grad:
                raise RuntimeError(
                    f"autograd.grad: one of the {name} does not require grad and has no graph"
                )
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"autograd.grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
        )
    xp = backend.array_module(outputs[0].data)
    owner = _Owner()
    owner.captured = [None] * len(inputs)
    for position, t in enumerate(inputs):
        if t._ctx is None:
            owner.capture_leaves[id(t)] = position
        else:
            owner.capture_nodes[(id(t._ctx), t._out_index)] = position
    starts = []
    for out, g in zip(outputs, grad_outputs):
        given = g
        if g is not None:
            g = g.data if isinstance(g, Tensor) else xp.asarray(g, dtype=out.dtype)
        g = _seed_gradient("autograd.grad", out, g, xp)
        if create_graph:  # a given Tensor stays itself: its own graph is part of the result
            g = given if isinstance(given, Tensor) else Tensor(g)
        owner.handed_out.add(id(g))
        starts.append((out, g))
    useful = _useful_nodes(outputs, owner)
    _sweep(starts, bool(retain_graph), owner, xp, create_graph, useful)
    result = []
    for t, g in zip(inputs, owner.captured):
        if g is None:
            if not allow_unused and not materialize_grads:
                raise RuntimeError(
                    "autograd.grad: one of the inputs was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            result.append(Tensor(xp.zeros_like(t.data)) if materialize_grads else None)
        else:
            result.append(g if isinstance(g, Tensor) else Tensor(g))
    return tuple(result)


# A non-leaf input at least this big is kept as a stand-in without values by a node that
# never reads them (`_lightened`); smaller ones are kept as they are, values and all.
LIGHT_MIN_BYTES = 1 << 20


def _lightened(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` with each large non-leaf Tensor replaced by its stand-in (`_light`)."""
    Tensor: Any = tensor_type
    return tuple(
        _light(a)
        if isinstance(a, Tensor) and a._ctx is not None and a.data.nbytes >= LIGHT_MIN_BYTES
        else a
        for a in args
    )


def _light(t: Any) -> Any:
    """A stand-in for non-leaf ``t``: its shape, dtype, device and place in the graph, and no
    values (a zero-strided view of one zero), so that a node that only needs to know what
    ``t`` was does not keep ``t``'s array alive (PyTorch's nodes do not hold their inputs
    either). The stand-in remembers ``t`` weakly; ``t`` keeps its stand-in for the next node.
    """
    if t._twin is not None:
        return t._twin
    xp = backend.array_module(t.data)
    light = tensor_type(xp.broadcast_to(xp.zeros((), t.dtype), t.shape), t.requires_grad)
    light._ctx, light._out_index, light._version = t._ctx, t._out_index, t._version
    light._twin = weakref.ref(t)
    t._twin = light
    return light


def original(t: Any) -> Any:
    """The tensor a stand-in (`_light`) stands for, while it is alive; else ``t`` itself."""
    twin = getattr(t, "_twin", None)
    found = twin() if isinstance(twin, weakref.ref) else None
    return t if found is None else found


def _saved_versions(saved: tuple[Any, ...], args: tuple[Any, ...], outputs: tuple) -> tuple:
    """(tensor, version) of each input or output Tensor whose array the node saved, so that
    its backward can tell when an in-place op changed it since (PyTorch's version counter)."""
    if not saved:
        return ()
    ids = {id(a) for a in saved}
    Tensor: Any = tensor_type
    return tuple(
        (t, t._version) for t in (*args, *outputs) if isinstance(t, Tensor) and id(t.data) in ids
    )


def _check_versions(node: Context) -> None:
    for t, version in node.versions:
        if t._version != version:
            raise RuntimeError(
                f"backward: one of the arrays {node.fn.__name__} saved for its backward, a "
                f"tensor of shape {tuple(t.shape)}, has been modified by an in-place operation: "
                f"it is at version {t._version}, expected version {version}. Use the "
                "out-of-place form (inplace=False) of the op that changed it, or change it "
                "after backward()"
            )


def apply_in_place(fn: type[Function], x: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn`` applied to ``x`` with its result written into ``x``'s array; ``x`` itself is
    returned and becomes the node's output (PyTorch's in-place ops, ``relu(x, inplace=True)``).

    ``fn.forward`` gets ``inplace=True`` and must write into its first argument. Nodes that
    used ``x`` before keep sending their gradients to x's old producer (their edges were fixed
    when they were recorded); a node that saved x's values finds x's version changed and its
    backward raises. A leaf that requires grad cannot be changed in place.
    """
    Tensor: Any = tensor_type
    if _grad_enabled and x.requires_grad and x._ctx is None:
        raise RuntimeError(
            f"{fn.__name__}: a leaf tensor that requires grad cannot be changed in place; use "
            "the out-of-place form, or wrap it in `with md.no_grad():`"
        )
    before = Tensor(x.data, requires_grad=x.requires_grad)  # x as the node's input
    before._ctx, before._out_index, before._version = x._ctx, x._out_index, x._version
    out = fn.apply(before, *args, inplace=True, **kwargs)
    if out.data is not x.data:
        raise RuntimeError(f"{fn.__name__}: its in-place forward did not write into its input")
    x._version += 1
    x._twin = None  # its stand-in, if it had one, stands for the old x
    if out._ctx is not None:
        node = out._ctx
        x._ctx, x._out_index = node, out._out_index
        node.versions = tuple((x, x._version) if t is out else (t, v) for t, v in node.versions)
    return x


def _free(node: Context) -> None:
    """Drop what a used node holds (saved arrays, inputs); a missing `inputs` marks it used."""
    fn = node.fn
    node.__dict__.clear()
    node.fn = fn


def _hook_and_capture(node: Context, grads: list[Any], owner: _Owner) -> None:
    """Run the gradient hooks of ``node``'s outputs; hand `grad` the ones it asked for."""
    for i, table in node.__dict__.get("hooks", {}).items():
        if grads[i] is not None and table:
            grads[i] = _hooked(table, grads[i], node.outputs[i][0])
    if owner.capture_nodes:  # autograd.grad of an intermediate tensor: its whole gradient
        for i, g in enumerate(grads):
            position = owner.capture_nodes.get((id(node), i))
            if position is not None and g is not None:
                owner.capture(position, g)


def _run_node(node: Context, grads: list[Any], pending: dict, owner: _Owner, xp: Any) -> None:
    _check_versions(node)
    _hook_and_capture(node, grads, owner)
    for i, t in node.retained.items() if owner.captured is None else ():
        if grads[i] is not None:
            _accumulate_into(t, grads[i], owner)
    for i, (shape, dtype) in enumerate(node.outputs):
        if grads[i] is None and dtype.kind in "fc":
            grads[i] = xp.zeros(shape, dtype)
    prof = profiler.current
    if prof is None:
        in_grads = node.fn.backward(node, *grads)
    else:
        event = prof.begin(node.fn.__name__, "backward", profiler.shapes_of(grads))
        node.backward_event = event
        try:
            in_grads = node.fn.backward(node, *grads)
        finally:
            prof.end(event)
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if anomaly.enabled:
        anomaly.check_backward(node, grads, in_grads)
    if len(in_grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.fn.__name__}.backward returned {len(in_grads)} gradients for "
            f"{len(node.inputs)} forward arguments"
        )
    for t, edge, g in zip(node.inputs, node.edges, in_grads):
        if t is None or g is None:
            continue
        g = sum_to_shape(g, t.shape)
        if g.dtype != t.dtype:
            g = g.astype(t.dtype)
        producer, index = edge
        if producer is None:
            _accumulate_into(t, g, owner)
            continue
        slots = pending.setdefault(producer, [None] * len(producer.outputs))
        old = slots[index]
        slots[index] = owner.share(g) if old is None else old + g


def _run_node_differentiably(
    node: Context, grads: list[Any], pending: dict, owner: _Owner, xp: Any
) -> None:
    """`_run_node` for ``create_graph=True``: Tensors in, Tensors out, the backward recorded
    (`higher_order.vjp`)."""
    Tensor: Any = tensor_type
    _check_versions(node)
    _hook_and_capture(node, grads, owner)
    for i, t in node.retained.items() if owner.captured is None else ():
        if grads[i] is not None:
            _accumulate_into(t, grads[i], owner)
    for i, (shape, dtype) in enumerate(node.outputs):
        if grads[i] is None and dtype.kind in "fc":
            grads[i] = Tensor(xp.zeros(shape, dtype))
    prof = profiler.current
    event = None
    if prof is not None:
        event = prof.begin(node.fn.__name__, "backward", profiler.shapes_of(grads))
    try:
        with enable_grad():
            in_grads = differentiable_backward(node, grads)
    finally:
        if event is not None:
            prof.end(event)
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if anomaly.enabled:
        anomaly.check_backward(node, [_data(g) for g in grads], tuple(_data(g) for g in in_grads))
    if len(in_grads) != len(node.inputs):
        raise RuntimeError(
            f"{node.fn.__name__}: its differentiable backward returned {len(in_grads)} "
            f"gradients for {len(node.inputs)} forward arguments"
        )
    for t, edge, g in zip(node.inputs, node.edges, in_grads):
        if t is None or g is None:
            continue
        if not isinstance(g, Tensor):
            g = Tensor(g)
        g = sum_to_shape(g, t.shape)
        if g.dtype != t.dtype:
            g = g.to(t.dtype)
        producer, index = edge
        if producer is None:
            _accumulate_into(t, g, owner)
            continue
        slots = pending.setdefault(producer, [None] * len(producer.outputs))
        old = slots[index]
        slots[index] = g if old is None else old + g
