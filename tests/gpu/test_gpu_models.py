"""One training step of every demo model on the GPU equals the same step on the CPU.

Models (``model_steps.STEPS``): the demo's U-Net (same padding, BatchNorm, cross-entropy +
Dice) and the paper's (valid convs, pixel-weighted cross-entropy); the Siamese net (BCE on
pairs) and its embedding net with batch-hard triplet mining; Mask R-CNN with the keypoint
head (all six losses); style transfer with Adam and with L-BFGS on the pixels.

Each starts from identical weights (built on the host from one seed), in float64, on the
same batch. What must agree to 1e-7 relative (summation order and cuBLAS differ, the maths
does not): every loss, every parameter's gradient, every parameter and buffer (BatchNorm's
running statistics) after the optimizer step, and for style transfer the image and each
evaluation's losses. Everything the GPU step produced must be on the GPU.
"""

from __future__ import annotations

import pytest
from gpu_compare import devices_of
from model_steps import STEPS, assert_results_agree, snapshot

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("name", sorted(STEPS))
def test_training_step_on_cuda_equals_cpu(name):
    _, _, on_cpu = STEPS[name]("cpu")
    model, _, on_gpu = STEPS[name]("cuda")
    assert devices_of(list(on_gpu.values())) == {"cuda"}
    assert devices_of([p.data for p in model.parameters()]) == {"cuda"}
    assert_results_agree(snapshot(on_gpu), snapshot(on_cpu), rtol=1e-7)
