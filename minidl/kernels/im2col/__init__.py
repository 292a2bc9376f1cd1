"""im2col / col2im: conv2d and conv_transpose2d as GEMMs; and a direct stride-1 conv2d for
inputs with few channels (reference, cpu, gpu)."""
