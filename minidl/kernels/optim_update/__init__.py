"""SGD-with-momentum and Adam parameter updates as kernels (reference, cpu, gpu)."""
