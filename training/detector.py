"""The detector: torchvision's SSDlite320-MobileNetV3-Large, and its ONNX export.

Runs unchanged on torchvision 0.14 (Debian, torch 1.13) and on the torch 2.x SageMaker PyTorch images: only APIs both
have (the `weights=` builders since 0.13; `dynamo=False` is passed only where `torch.onnx.export` knows it).
"""

import inspect
import socket
from functools import partial

import numpy as np
import torch
from torchvision.models.detection import SSDLite320_MobileNet_V3_Large_Weights, ssdlite320_mobilenet_v3_large
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
from torchvision.models.detection.ssdlite import SSDLiteHead

ARCHITECTURE = "ssdlite320_mobilenet_v3_large"
INPUT_NAME = "images"
OUTPUT_NAMES = ["boxes", "scores", "labels"]
# torchvision detectors reserve label 0 for the background: class i of the dataset is label i + 1.
LABEL_OFFSET = 1
# Evaluation keeps nearly every candidate, so AP sees the whole precision/recall curve (pycocotools counts 100).
EVALUATION_SCORE_FLOOR = 0.001
DETECTIONS_PER_IMAGE = 100
# The exported model drops candidates below this (or below the score threshold, if lower): the edge applies the
# threshold from model.json and can raise it, or lower it this far, without a new export.
EXPORT_SCORE_FLOOR = 0.05
DOWNLOAD_TIMEOUT_SECONDS = 30
OPSET = 13
CLASS_LOGITS = "head.classification_head."
HEAD = "head."
# torchvision's SSDlite anchors: aspect ratios 2 and 3 (and their inverses) on each of the six feature maps, box
# scales from 0.2 to 0.95 of the input.
TORCHVISION_ANCHORS = {"ratios": (2.0, 3.0), "min_scale": 0.2, "max_scale": 0.95}


def _coco_weights():
    """torchvision's COCO weights, or the reason they cannot be had (no network, blocked, timeout)."""
    weights = SSDLite320_MobileNet_V3_Large_Weights.COCO_V1
    previous = socket.getdefaulttimeout()
    # urllib waits forever on a silent network; a bounded wait turns that into an error we can fall back from.
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_SECONDS)
    try:
        return weights.get_state_dict(progress=False), None
    except Exception as error:  # any failure to fetch or read the file means: start from scratch
        return None, "%s: %s" % (type(error).__name__, error)
    finally:
        socket.setdefaulttimeout(previous)


def _with_anchors(model, anchors, num_classes):
    """Replaces the anchor generator, and the head whose outputs count anchors, by ones for `anchors`."""
    generator = DefaultBoxGenerator(
        [list(anchors["ratios"]) for _ in model.anchor_generator.aspect_ratios],
        min_ratio=anchors["min_scale"],
        max_ratio=anchors["max_scale"],
    )
    out_channels = det_utils.retrieve_out_channels(model.backbone, (320, 320))
    norm_layer = partial(torch.nn.BatchNorm2d, eps=0.001, momentum=0.03)
    model.anchor_generator = generator
    model.head = SSDLiteHead(out_channels, generator.num_anchors_per_location(), num_classes, norm_layer)
    return model


def build_model(num_classes, input_size, pretrained, fetch_weights=_coco_weights, anchors=None):
    """The detector for num_classes classes and inputs of input_size (width, height) pixels, and a description of it.

    pretrained: "coco" (COCO weights or fail), "none" (random init), "auto" (COCO when reachable, else random init,
    saying why). anchors: {"ratios", "min_scale", "max_scale"}, default torchvision's (TORCHVISION_ANCHORS); other
    anchors change the head's outputs, so its layers that count anchors start fresh even with COCO weights.
    """
    anchors = anchors or TORCHVISION_ANCHORS
    if pretrained not in ("auto", "coco", "none"):
        raise ValueError("pretrained must be auto, coco or none (got %r)" % pretrained)
    state = None
    if pretrained != "none":
        state, reason = fetch_weights()
        if state is None and pretrained == "coco":
            raise RuntimeError("COCO weights not available (%s)" % reason)
        if state is None:
            print("COCO weights not available (%s); training from scratch" % reason, flush=True)
    # With or without COCO weights torchvision builds the same network (MobileNetV3 with the reduced tail); only
    # the class logits depend on the number of classes, so they start fresh and every other weight is COCO's.
    model = ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=num_classes + LABEL_OFFSET)
    custom = dict(anchors, ratios=tuple(anchors["ratios"])) != TORCHVISION_ANCHORS
    if custom:
        model = _with_anchors(model, anchors, num_classes + LABEL_OFFSET)
    fresh = HEAD if custom else CLASS_LOGITS
    if state is not None:
        shapes = {name: value.shape for name, value in model.state_dict().items()}
        kept = {
            name: value
            for name, value in state.items()
            if not (name.startswith(fresh) and shapes.get(name) != value.shape) and not name.startswith(CLASS_LOGITS)
        }
        missing, unexpected = model.load_state_dict(kept, strict=False)
        if unexpected or any(not name.startswith(fresh) for name in missing):
            raise RuntimeError("COCO weights do not fit the model: missing %s, unexpected %s" % (missing, unexpected))
        description = "%s (COCO weights, new %s)" % (ARCHITECTURE, "head" if custom else "class logits")
    else:
        description = "%s (from scratch)" % ARCHITECTURE
    if custom:
        description += ", anchors %s" % describe_anchors(anchors)
    # The builder fixes 320 x 320; inputs arrive letterboxed to input_size, so the model's own resize is a no-op
    # (torchvision's fixed_size is width, height). The anchors are fractions of the input's sides, so they follow it.
    width, height = input_size
    model.transform.min_size = (min(width, height),)
    model.transform.max_size = max(width, height)
    model.transform.fixed_size = (width, height)
    model.score_thresh = EVALUATION_SCORE_FLOOR
    model.detections_per_img = DETECTIONS_PER_IMAGE
    return model, description


def describe_anchors(anchors):
    """e.g. "ratios 2,3,5 scales 0.15-0.95"."""
    ratios = ",".join("%g" % r for r in anchors["ratios"])
    return "ratios %s scales %g-%g" % (ratios, anchors["min_scale"], anchors["max_scale"])


def to_tensor(image):
    """A PIL RGB image as the model input: float32 CHW in 0-1."""
    array = np.asarray(image, dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float().div(255.0)


def targets_of(boxes, labels):
    """A torchvision training target from boxes in input pixels and dataset class ids."""
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor([label + LABEL_OFFSET for label in labels], dtype=torch.int64),
    }


def detections_of(output):
    """A torchvision output as plain lists: boxes [x1, y1, x2, y2] in input pixels, scores, dataset class ids."""
    return (
        output["boxes"].tolist(),
        output["scores"].tolist(),
        [label - LABEL_OFFSET for label in output["labels"].tolist()],
    )


class ExportedDetector(torch.nn.Module):
    """The detector as the edge calls it: one letterboxed image [1, 3, H, W] in 0-1 -> boxes, scores, labels."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        output = self.model([images[0]])[0]
        return output["boxes"], output["scores"], output["labels"]


def export_onnx(model, input_size, path, score_floor):
    """Writes the model to `path` as ONNX (torchvision layout, labels with the background at 0)."""
    model.eval()
    saved = model.score_thresh
    model.score_thresh = score_floor
    try:
        options = {}
        # torch >= 2.5 can export through dynamo (default in 2.9); the TorchScript exporter is what both versions share.
        if "dynamo" in inspect.signature(torch.onnx.export).parameters:
            options["dynamo"] = False
        with torch.no_grad():
            torch.onnx.export(
                ExportedDetector(model).eval(),
                (torch.zeros(1, 3, input_size[1], input_size[0]),),
                path,
                opset_version=OPSET,
                input_names=[INPUT_NAME],
                output_names=OUTPUT_NAMES,
                dynamic_axes={name: {0: "detections"} for name in OUTPUT_NAMES},
                **options,
            )
    finally:
        model.score_thresh = saved


def check_onnx(path):
    """Runs the onnx checker when the onnx package is importable; returns a line saying what was checked."""
    try:
        import onnx
    except ImportError:
        return "onnx checker: skipped, the onnx package is not importable (pip install onnx, or python3-onnx)"
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return "onnx checker: %s is valid (onnx %s, opset %d)" % (path, onnx.__version__, OPSET)
