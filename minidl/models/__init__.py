"""The finished reference models that the lessons build step by step."""

from .fcn import EncoderDecoder, SlidingWindowClassifier
from .maskrcnn import MaskRCNN
from .siamese import EmbeddingNet, FaceDatabase, Match, SiameseNet
from .tiling import predict_tiled
from .unet import UNet
