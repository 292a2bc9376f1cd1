"""Max-pooling with indices and max-unpooling (reference, cpu, gpu)."""
