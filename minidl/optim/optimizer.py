"""`Optimizer`: parameter groups, ``zero_grad`` and a savable state, as in PyTorch."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from .. import backend, profiler
from ..tensor import Tensor


def _profiled(step: Any, name: str) -> Any:
    @functools.wraps(step)
    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        prof = profiler.current
        if prof is None:
            return step(self, *args, **kwargs)
        event = prof.begin(f"{name}.step", "optimizer")
        try:
            return step(self, *args, **kwargs)
        finally:
            prof.end(event)

    return timed


class Optimizer:
    """Holds ``param_groups`` (dicts with "params" and hyper-parameters such as "lr") and a
    per-parameter ``state``. Subclasses implement ``step()``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # each subclass's step() is timed as one range when a profiler block is open
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _profiled(cls.step, cls.__name__)

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            for p in group["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError(
                        f"{type(self).__name__}: parameters must be Tensors that "
                        f"require grad, got {type(p).__name__}"
                    )
            self.param_groups.append(group)
        self.state: dict[int, dict[str, Any]] = {}  # keyed by the parameter's position

    def _params(self) -> list[tuple[int, dict[str, Any], Tensor]]:
        flat, k = [], 0
        for group in self.param_groups:
            for p in group["params"]:
                flat.append((k, group, p))
                k += 1
        return flat

    def zero_grad(self) -> None:
        """Forget the gradients (set to None, as PyTorch does by default)."""
        for _, _, p in self._params():
            p.grad = None

    def step(self) -> None:
        raise TypeError(f"{type(self).__name__} defines no step()")

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and buffers (momentum, Adam moments), savable with `md.save`."""
        groups = [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]
        state = {str(k): dict(v) for k, v in self.state.items()}
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"load_state_dict: {len(groups)} parameter groups in the state, "
                f"{len(self.param_groups)} in the optimizer"
            )
        for group, saved in zip(self.param_groups, groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        params = self._params()
        self.state = {}
        for key, entry in state_dict["state"].items():
            k = int(key)
            if k >= len(params):
                raise ValueError(
                    f"load_state_dict: state for parameter {k}, but the optimizer has {len(params)}"
                )
            device = params[k][2].device
            self.state[k] = {
                name: backend.to_device(v, device) if hasattr(v, "shape") else v
                for name, v in entry.items()
            }
