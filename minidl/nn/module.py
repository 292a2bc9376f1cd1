"""`Module`: a piece of a network that owns parameters, buffers and sub-modules.

Assigning a `Parameter`, a `Module` or (via `register_buffer`) a buffer to an attribute
registers it, as in PyTorch; ``named_parameters`` and ``state_dict`` walk the tree.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend, profiler
from ..autograd import is_grad_enabled
from ..hooks import HookTable, RemovableHandle, add
from ..tensor import Tensor
from . import module_hooks


class Parameter(Tensor):
    """A Tensor that a Module learns: it requires grad and is listed by ``parameters()``."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: define ``forward`` and call the module."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ---- registration --------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() first")
        if isinstance(value, Parameter):
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        else:
            self._forget(name)
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules, self.__dict__):
            table.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table, {})
            if name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def register_buffer(self, name: str, value: Tensor | None) -> None:
        """A tensor that is saved in the state_dict but not learned (e.g. running means)."""
        self.__dict__.pop(name, None)
        self._buffers[name] = value

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} defines no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooked = self.__dict__.get("_hooks")
        prof = profiler.current
        if prof is None and not hooked:  # the usual case: nothing to run around forward
            return self.forward(*args, **kwargs)
        if prof is None:
            return self._call_with_hooks(hooked, args, kwargs)
        event = prof.begin(type(self).__name__, "module", profiler.shapes_of(args))
        try:
            return self._call_with_hooks(hooked or {}, args, kwargs)
        finally:
            prof.end(event)

    # ---- hooks (see module_hooks.py) -----------------------------------------------------
    def _hook_table(self, kind: str) -> HookTable:
        tables = self.__dict__.setdefault("_hooks", {})
        return tables.setdefault(kind, HookTable())

    def register_forward_pre_hook(
        self, hook: Any, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; it may return new args (a tuple, or
        one value). With ``with_kwargs``: ``hook(module, args, kwargs)``, which may return
        ``(args, kwargs)``."""
        if not callable(hook):
            raise TypeError(f"register_forward_pre_hook: expected a callable, got {hook!r}")

        def pre(module: Module, args: tuple, kwargs: dict) -> tuple | None:
            if with_kwargs:
                return hook(module, args, kwargs)
            out = hook(module, args)
            return None if out is None else (out if isinstance(out, tuple) else (out,), kwargs)

        return add(self._hook_table("pre"), pre, prepend, "register_forward_pre_hook")

    def register_forward_hook(
        self, hook: Any, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; it may return a new output.
        With ``with_kwargs``: ``hook(module, args, kwargs, output)``.

        >>> stds = []
        >>> h = net.conv1.register_forward_hook(lambda m, args, y: stds.append(y.data.std()))
        """
        if not callable(hook):
            raise TypeError(f"register_forward_hook: expected a callable, got {hook!r}")

        def post(module: Module, args: tuple, kwargs: dict, output: Any) -> Any:
            return hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)

        return add(self._hook_table("forward"), post, prepend, "register_forward_hook")

    def register_full_backward_hook(self, hook: Any, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients w.r.t. the
        module's tensor inputs are computed (tuples of Tensors, None where an input needs no
        gradient); it may return a new ``grad_input``."""
        return add(self._hook_table("backward"), hook, prepend, "register_full_backward_hook")

    def _call_with_hooks(self, tables: dict, args: tuple, kwargs: dict) -> Any:
        for pre in list(tables.get("pre", {}).values()):
            out = pre(self, args, kwargs)
            if out is not None:
                args, kwargs = out
        backward = list(tables.get("backward", {}).values())
        call = None
        if backward and is_grad_enabled():
            args, call = module_hooks.wrap_inputs(self, backward, args)
        output = self.forward(*args, **kwargs)
        for post in list(tables.get("forward", {}).values()):
            out = post(self, args, kwargs, output)
            if out is not None:
                output = out
        if call is not None:
            output = module_hooks.wrap_outputs(call, output)
        return output

    # ---- walking the tree ----------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter once (a shared one under its first name)."""
        seen: set[int] = set()
        for path, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{path}.{name}" if path else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for path, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{path}.{name}" if path else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # ---- modes and devices ---------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def to(self, target: Any) -> Module:
        """Move (``"cuda"``) or convert (``md.float64``) every parameter and buffer in place."""

        def convert(a: Any) -> Any:
            if isinstance(target, str):
                return backend.to_device(a, target)
            return a.astype(target) if a.dtype.kind == "f" else a

        for t in [*self.parameters(), *self.buffers()]:
            t.data = convert(t.data)
            if t.grad is not None:
                t.grad = convert(t.grad)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    def apply(self, fn: Any) -> Module:
        for m in self.modules():
            fn(m)
        return self

    # ---- state -----------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Any]:
        """A snapshot (copies) of every parameter and buffer, by dotted name."""
        state = OrderedDict((n, p.data.copy()) for n, p in self.named_parameters())
        state.update((n, b.data.copy()) for n, b in self.named_buffers())
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> tuple[list, list]:
        """Copy values into this module's parameters and buffers (keeping their device).

        Raises ValueError for missing or unexpected keys (when ``strict``) and for any value
        whose shape differs. Returns ``(missing, unexpected)`` key lists.
        """
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise ValueError(
                f"load_state_dict: {type(self).__name__} state does not match: "
                f"missing keys {missing}, unexpected keys {unexpected}"
            )
        for key, t in own.items():
            if key not in state:
                continue
            value = state[key].data if isinstance(state[key], Tensor) else state[key]
            if tuple(value.shape) != t.shape:
                raise ValueError(
                    f"load_state_dict: {key} has shape {t.shape} in the model but "
                    f"{tuple(value.shape)} in the state"
                )
            t.data[...] = backend.to_device(value, t.device)
        return missing, unexpected

    # ---- printing --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            lines.append(f"({name}): " + repr(child).replace("\n", "\n  "))
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
