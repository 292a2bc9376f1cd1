"""ReLU forward and backward as kernels (reference, cpu, gpu)."""
