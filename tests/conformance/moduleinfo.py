"""The ModuleInfo rows: the layers of ``module_db`` that ``minidl.nn`` exports by name.

For each ModuleInput both layers are built from its constructor arguments, torch's layer in
float64; torch's parameters and buffers are copied into minidl's by state-dict name (a name
or shape minidl does not have is WRONG). Both run the forward input in train mode, and in
eval mode too where the ModuleInfo says the modes differ (BatchNorm). Compared: outputs,
buffers after the forward (running statistics), and the gradients of the inputs and of
every parameter. At most `opinfo.MAX_SAMPLES` inputs per layer (CrossEntropyLoss has 105).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import Any

import torch
from torch.testing._internal.common_modules import module_db

import minidl as md

from . import opinfo
from .convert import Converter, describe
from .harness import Case, Outcome, run

# The functional each layer runs: its errors may name the op by that name.
FUNCTIONALS = {
    "AvgPool2d": "avg_pool2d",
    "BatchNorm2d": "batch_norm",
    "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
    "Conv2d": "conv2d",
    "ConvTranspose2d": "conv_transpose2d",
    "CrossEntropyLoss": "cross_entropy",
    "Linear": "linear",
    "MaxPool2d": "max_pool2d",
    "MSELoss": "mse_loss",
    "ReLU": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
}


@dataclass(frozen=True)
class ModuleRow:
    key: str  # "nn.Conv2d"
    target: str  # "md.nn.Conv2d"
    info: Any  # the ModuleInfo


def _exported(info: Any) -> bool:
    cls = getattr(md.nn, info.module_cls.__name__, None)
    return isinstance(cls, type) and issubclass(cls, md.nn.Module)


@functools.cache
def rows() -> tuple[ModuleRow, ...]:
    return tuple(
        ModuleRow(info.name, f"md.{info.name}", info)
        for info in module_db
        if _exported(info) and torch.float64 in info.dtypes
    )


def not_exported() -> list[str]:
    return sorted({info.name for info in module_db if not _exported(info)})


@functools.cache
def samples(key: str) -> tuple[tuple[str, Any], ...]:
    """(mode, ModuleInput) pairs: the train-mode inputs, then the eval-mode ones where the
    modes differ; capped as for ops."""
    info = next(r.info for r in rows() if r.key == key)
    modes = ("train", "eval") if info.train_and_eval_differ else ("train",)
    every = []
    for mode in modes:
        torch.manual_seed(zlib.crc32(f"{key} {mode}".encode()))
        inputs = info.module_inputs_func(
            info, device="cpu", dtype=torch.float64, requires_grad=True, training=mode == "train"
        )
        every += [(mode, i) for i in inputs]
    return opinfo.evenly_spaced(every)


@functools.cache
def results(key: str) -> tuple[Outcome, ...]:
    r = next(r for r in rows() if r.key == key)
    return tuple(run(_case(r, i, mode, m), seed=i) for i, (mode, m) in enumerate(samples(key)))


def _case(r: ModuleRow, i: int, mode: str, module_input: Any) -> Case:
    ctor, fwd = module_input.constructor_input, module_input.forward_input
    name = r.info.module_cls.__name__
    conv = Converter()
    args = tuple(conv(list(fwd.args), "args"))
    kwargs = conv(dict(fwd.kwargs), "kwargs")
    layers: dict[str, Any] = {}

    def theirs() -> Any:
        layers["theirs"] = m = r.info.module_cls(*ctor.args, **ctor.kwargs).to(torch.float64)
        m.train(mode == "train")
        # minidl's copy starts from the state before the forward, which updates the buffers
        layers["initial"] = {k: v.detach().clone() for k, v in _state(m).items()}
        return m(*fwd.args, **fwd.kwargs)

    def prepare() -> str | None:
        c = Converter()
        ours = getattr(md.nn, name)(*c(list(ctor.args), "ctor"), **c(dict(ctor.kwargs), "ctor"))
        ours.train(mode == "train")
        layers["ours"] = ours
        reason = _copy_state(layers["initial"], ours)
        for p, theirs_p in layers["theirs"].named_parameters():
            conv.add_leaf(f"param {p}", theirs_p, dict(ours.named_parameters())[p])
        return reason

    def state() -> list[tuple[str, Any, Any]]:
        ours = dict(layers["ours"].named_buffers())
        pairs = [(f"buffer {b}", t, ours.get(b)) for b, t in layers["theirs"].named_buffers()]
        return pairs + [(t.path, t.theirs, t.ours) for t in conv.tensors]

    ctor_text = describe(tuple(ctor.args)) + (f" {describe(ctor.kwargs)}" if ctor.kwargs else "")
    text = f"#{i} {mode} {module_input.desc or '(plain)'}: {name}{ctor_text}"
    text += f" on {describe(tuple(fwd.args))}"
    if fwd.kwargs:
        text += f" {describe(fwd.kwargs)}"
    return Case(
        sample=text,
        theirs=theirs,
        ours=lambda: layers["ours"](*args, **kwargs),
        converter=conv,
        names=(name, FUNCTIONALS.get(name, name)),
        state=state,
        prepare=prepare,
        random_check=False,
    )


def _state(layer: Any) -> dict[str, Any]:
    """Parameters and buffers by state-dict name (either library's layer)."""
    return dict(layer.named_parameters()) | dict(layer.named_buffers())


def _copy_state(want: dict[str, torch.Tensor], ours: Any) -> str | None:
    """Copy torch's parameters and buffers into minidl's layer; why not, if they differ."""
    have = _state(ours)
    if set(want) != set(have):
        return (
            f"state names differ: PyTorch only {sorted(set(want) - set(have))}, "
            f"minidl only {sorted(set(have) - set(want))}"
        )
    for key, t in want.items():
        if tuple(have[key].shape) != tuple(t.shape):
            return f"state {key}: shape {tuple(have[key].shape)}, PyTorch {tuple(t.shape)}"
        have[key].data = t.detach().numpy().copy()
    return None
