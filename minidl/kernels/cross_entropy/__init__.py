"""Cross-entropy over class indices (log-softmax + NLL in one pass) as kernels."""
