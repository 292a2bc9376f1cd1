"""`minidl.data`: seeded data sets, loaders and augmentation. Nothing is downloaded.

Every generator takes a ``seed`` (or a `numpy.random.Generator`) and never touches global
random state; images are float32 in [0, 1], NCHW-ready.

==============================  =============================================================
Name                            What it gives
==============================  =============================================================
Loading
`DataLoader`, `ArrayDataset`    batches of Tensors; seeded shuffling per epoch; drop_last
`Dataset`                       the protocol: ``len(ds)``, ``ds[i] -> tuple of arrays``
Augmentation (`augment`)
`Compose`, `RandomFlip`,        ``t(rng, image, *targets)``; geometric ones move masks too
`RandomRot90`, `ElasticDeform`, (the U-Net paper's 3×3-grid elastic deformation, σ = 10 px)
`BrightnessContrast`,
`RandomGamma`, `GaussianNoise`,
`RandomCrop`
Segmentation (issue 4)
`brain_tumor_slices`            real MRI slice + synthetic tumours: images, binary masks
`threshold_baseline_dice`,      the blurred global-threshold baseline (Dice on a test set)
`best_threshold`
`touching_cells`                ISBI-like membranes: images, instance labels, binary masks
`unet_weight_map`               the paper's w(x) = w_c + w0·exp(−(d1 + d2)²/2σ²)
`ImageMaskFolder`               ``root/images/*.png`` + ``root/masks/*.png``
Faces (issue 5)
`lfw_identities`                real LFW face crops (100 people) as views, split by person
`procedural_identities`         as many synthetic face-like people as wanted
`face_views`                    the nuisances: lighting, tilt, mirror, shift/scale, noise
`ImageFolderIdentities`         ``root/person_name/*.png|jpg``
`sample_pairs`, `PairDataset`   balanced same/different pairs
`PKSampler`                     P identities × K views per batch, for triplet mining
Instances (issue 6)
`shapes_scenes`, `Scene`        circles, squares, triangles, stick figures: masks, boxes, keypoints
`coins_instances`               the coins photograph, instances by Sobel + watershed
`masks_to_boxes`                tight ``[x1, y1, x2, y2]`` boxes of masks
Images (issue 7)
`load_image`                    a file as (C, H, W), optionally resized
`sample_image`                  astronaut, chelsea, coffee; brick, gravel, grass
Toy (issue 2)
`two_spirals`                   two interleaved spirals: (n, 2) points, (n,) labels
==============================  =============================================================
"""

from minidl.data import augment
from minidl.data.augment import (
    BrightnessContrast,
    Compose,
    ElasticDeform,
    GaussianNoise,
    RandomCrop,
    RandomFlip,
    RandomGamma,
    RandomRot90,
)
from minidl.data.cells import CellSet, touching_cells, unet_weight_map
from minidl.data.faces import (
    FaceSet,
    face_views,
    identity_split,
    lfw_faces,
    lfw_identities,
    procedural_identities,
)
from minidl.data.folders import ImageFolderIdentities, ImageMaskFolder
from minidl.data.images import CONTENT_IMAGES, TEXTURE_IMAGES, load_image, sample_image
from minidl.data.loader import ArrayDataset, DataLoader, Dataset
from minidl.data.samplers import PairDataset, PKSampler, sample_pairs
from minidl.data.segmentation import (
    SegmentationSet,
    best_threshold,
    brain_tumor_slices,
    mri_slice,
    threshold_baseline_dice,
)
from minidl.data.shapes import CLASS_NAMES, Scene, coins_instances, masks_to_boxes, shapes_scenes
from minidl.data.toy import two_spirals

__all__ = [
    "CLASS_NAMES",
    "CONTENT_IMAGES",
    "TEXTURE_IMAGES",
    "ArrayDataset",
    "BrightnessContrast",
    "CellSet",
    "Compose",
    "DataLoader",
    "Dataset",
    "ElasticDeform",
    "FaceSet",
    "GaussianNoise",
    "ImageFolderIdentities",
    "ImageMaskFolder",
    "PKSampler",
    "PairDataset",
    "RandomCrop",
    "RandomFlip",
    "RandomGamma",
    "RandomRot90",
    "Scene",
    "SegmentationSet",
    "augment",
    "best_threshold",
    "brain_tumor_slices",
    "coins_instances",
    "face_views",
    "identity_split",
    "lfw_faces",
    "lfw_identities",
    "load_image",
    "masks_to_boxes",
    "mri_slice",
    "procedural_identities",
    "sample_image",
    "sample_pairs",
    "shapes_scenes",
    "threshold_baseline_dice",
    "touching_cells",
    "two_spirals",
    "unet_weight_map",
]
