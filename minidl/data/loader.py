"""`Dataset`, `ArrayDataset` and `DataLoader`: from samples to batches of Tensors.

A dataset is anything with ``len(ds)`` and ``ds[i]`` returning a tuple of NumPy arrays, one
sample (e.g. ``(image (C, H, W), mask (H, W))``). The loader draws the indices of each batch,
applies an optional per-sample ``transform`` (see `minidl.data.augment`), stacks every field
along a new first axis and yields a tuple of `md.Tensor`s.

Randomness is a pure function of ``(seed, epoch)``: epoch e always gives the same order and
the same augmentations, whatever happened before, so runs repeat exactly and a resumed run
continues as if it had never stopped (`minidl.train.fit` calls `set_epoch` and saves
`state_dict`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any, Protocol, runtime_checkable

import numpy as np

from minidl import backend, random
from minidl.tensor import Tensor, tensor


@runtime_checkable
class Dataset(Protocol):
    """What `DataLoader` needs: a length and samples that are tuples of arrays."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]: ...


class ArrayDataset:
    """Samples are the rows of equally long arrays: ``ds[i] == (a[i], b[i], ...)``.

    Shapes: every array (N, ...) with the same N. Example:
    ``ArrayDataset(images (N, 1, H, W), masks (N, H, W))``.
    """

    def __init__(self, *arrays: np.ndarray) -> None:
        if not arrays:
            raise ValueError("ArrayDataset: expected at least one array, got none")
        arrays = tuple(np.asarray(a) for a in arrays)
        lengths = [len(a) if a.ndim else None for a in arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"ArrayDataset: arrays must share their first axis, got {shapes}")
        self.arrays = arrays

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)

    def __repr__(self) -> str:
        return f"ArrayDataset({', '.join(str(a.shape) for a in self.arrays)})"


def _to_tensor(field: np.ndarray, device: str) -> Tensor:
    # Integer labels of any width become int64 (what losses index with); floats and bools
    # keep their dtype (the generators make float32 images).
    if field.dtype.kind in "iu":
        field = field.astype(np.int64, copy=False)
    return tensor(field, device=device)


class DataLoader:
    """Batches of a `Dataset` as tuples of Tensors.

    Args:
        dataset: ``len(dataset)`` and ``dataset[i]`` -> tuple of arrays.
        batch_size: samples per batch.
        shuffle: a new random order every epoch (else 0, 1, 2, ...).
        drop_last: skip the last batch when it would be smaller than ``batch_size``.
        seed: seeds the order and the transforms; None draws one from the library's
            generator when the loader is built (so `md.manual_seed` makes it repeatable).
        device: "cpu" or "cuda": where the Tensors are made.
        transform: called per sample as ``transform(rng, *sample)`` -> tuple of arrays
            (e.g. `augment.Compose(...)`), with a generator private to the loader.
        batch_sampler: instead of ``batch_size``/``shuffle``/``drop_last``, an iterable of
            index arrays, one per batch, with ``set_epoch`` if it is random (e.g. `PKSampler`).

    Shapes: a field of shape S per sample becomes a Tensor (B, *S); integer fields are
    int64, others keep their dtype.

    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        device: str = "cpu",
        transform: Callable[..., tuple[np.ndarray, ...]] | None = None,
        batch_sampler: Iterable[np.ndarray] | None = None,
    ) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise ValueError(
                f"DataLoader: dataset must have __len__ and __getitem__, got "
                f"{type(dataset).__name__}"
            )
        if len(dataset) == 0:
            raise ValueError("DataLoader: the dataset is empty")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if batch_sampler is not None and (batch_size != 1 or shuffle or drop_last):
            raise ValueError(
                "DataLoader: batch_sampler replaces batch_size, shuffle and drop_last; "
                "leave those at their defaults"
            )
        if batch_sampler is not None and not isinstance(batch_sampler, Sized):
            raise ValueError("DataLoader: batch_sampler must have a length (batches per epoch)")
        if transform is not None and not callable(transform):
            raise ValueError(f"DataLoader: transform must be callable, got {transform!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"DataLoader: seed must be an int or None, got {seed!r}")
        self.dataset = dataset
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.seed = int(random.generator().integers(2**62)) if seed is None else seed
        self.device = backend.check_device(device)
        self.transform = transform
        self.batch_sampler = batch_sampler
        self.epoch = 0  # the epoch the next iteration will use

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use the order and transforms of ``epoch``."""
        self.epoch = int(epoch)

    def state_dict(self) -> dict[str, int]:
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seed, self.epoch = int(state["seed"]), int(state["epoch"])

    def _batches(self, epoch: int) -> Iterable[np.ndarray]:
        if self.batch_sampler is not None:
            if hasattr(self.batch_sampler, "set_epoch"):
                self.batch_sampler.set_epoch(epoch)
            return self.batch_sampler
        n = len(self.dataset)
        order = np.random.default_rng([self.seed, epoch, 0]).permutation(n)
        order = order if self.shuffle else np.arange(n)
        stop = len(self) * self.batch_size
        return (order[i : min(i + self.batch_size, n)] for i in range(0, stop, self.batch_size))

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        epoch, self.epoch = self.epoch, self.epoch + 1
        rng = np.random.default_rng([self.seed, epoch, 1])  # for the transforms only
        for indices in self._batches(epoch):
            samples = [self._sample(int(i), rng) for i in indices]
            yield tuple(
                _to_tensor(self._stack(samples, k), self.device) for k in range(len(samples[0]))
            )

    def _sample(self, index: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        sample = self.dataset[index]
        sample = tuple(sample) if isinstance(sample, (tuple, list)) else (sample,)
        if self.transform is not None:
            sample = tuple(self.transform(rng, *sample))
        return tuple(np.asarray(f) for f in sample)

    @staticmethod
    def _stack(samples: list[tuple[np.ndarray, ...]], k: int) -> np.ndarray:
        shapes = {s[k].shape for s in samples}
        if len(shapes) != 1:
            raise ValueError(
                f"DataLoader: field {k} has different shapes across the batch ({sorted(shapes)}); "
                f"use batch_size=1 or make the samples the same size"
            )
        return np.stack([s[k] for s in samples])

    def __repr__(self) -> str:
        return (
            f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}, "
            f"device={self.device!r})"
        )
