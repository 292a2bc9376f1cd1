"""im2col / col2im: conv2d and conv_transpose2d as GEMMs (reference, cpu, gpu)."""
