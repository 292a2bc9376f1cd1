"""The finished reference models that the lessons build step by step."""

from .fcn import EncoderDecoder, SlidingWindowClassifier
from .maskrcnn import MaskRCNN
from .siamese import EmbeddingNet, FaceDatabase, Match, SiameseNet
from .style import StyleFeatureNet, load_vgg_npz, random_feature_net
from .style_transfer import StyleObjective, stylize
from .tiling import predict_tiled
from .unet import UNet
