"""Matplotlib helpers for the lessons and demos, one module per topic."""

from .curves import plot_history
from .detection import draw_boxes, draw_instances, instance_grid, show_anchors
from .embeddings import pca_2d, plot_embedding_2d, plot_embeddings, plot_pairs, plot_roc_curves
from .geometry import figure_problems
from .graph import autograd_graph, draw_graph, to_graphviz
from .segmentation import (
    error_legend,
    error_map,
    overlay,
    segmentation_grid,
    show_error,
    show_weight_map,
)
