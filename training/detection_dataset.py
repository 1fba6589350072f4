"""Reading a dataset split (contracts/dataset.ts) and turning its images into model inputs.

A split is a directory (a SageMaker channel or a local folder) with exactly one `annotations.jsonl` somewhere below
it; each line names an image relative to the split directory and its boxes in pixels (Ground Truth convention).
Needs Pillow for images; the rest is plain Python.
"""

import json
import os
import re

from letterbox import boxes_to_input, js_round, letterbox, letterbox_geometry, place

ANNOTATIONS_FILE = "annotations.jsonl"
SUMMARY_FILE = "summary.json"
IMAGE_ID = re.compile(r"^[0-9a-f]{32}$")
# Boxes smaller than this (input pixels) after augmentation are dropped: nothing is left to detect.
MIN_BOX_SIDE = 2.0


class DatasetError(Exception):
    """Bad or missing dataset input; the message names the file, the line and the field."""


def find_annotations(split_dir):
    """The one annotations file below split_dir."""
    if not os.path.isdir(split_dir):
        raise DatasetError("%s: not a directory" % split_dir)
    found = sorted(
        os.path.join(root, ANNOTATIONS_FILE) for root, _, files in os.walk(split_dir) if ANNOTATIONS_FILE in files
    )
    if not found:
        raise DatasetError("%s: no %s below it" % (split_dir, ANNOTATIONS_FILE))
    if len(found) > 1:
        raise DatasetError("%s: more than one %s below it: %s" % (split_dir, ANNOTATIONS_FILE, ", ".join(found)))
    return found[0]


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_record(record, class_count):
    """The first problem of a parsed line as (field, message), or None."""
    if not isinstance(record, dict):
        return "(line)", "must be a JSON object"
    image = record.get("image")
    if not isinstance(image, str) or not image or image.startswith("/") or ".." in image.split("/"):
        return "image", "must be a relative path inside the split directory"
    if not isinstance(record.get("image_id"), str) or not IMAGE_ID.match(record["image_id"]):
        return "image_id", "must be 32 lowercase hex digits"
    for field in ("width", "height"):
        if not isinstance(record.get(field), int) or isinstance(record.get(field), bool) or record[field] <= 0:
            return field, "must be a positive integer (pixels)"
    annotations = record.get("annotations")
    if not isinstance(annotations, list):
        return "annotations", "must be a list of {class_id, left, top, width, height}"
    for i, box in enumerate(annotations):
        where = "annotations[%d]" % i
        if not isinstance(box, dict):
            return where, "must be an object {class_id, left, top, width, height}"
        class_id = box.get("class_id")
        if not isinstance(class_id, int) or isinstance(class_id, bool) or not 0 <= class_id < class_count:
            return where + ".class_id", "must be an integer from 0 to %d (one per class name)" % (class_count - 1)
        for field in ("left", "top"):
            if not _number(box.get(field)) or box[field] < 0:
                return "%s.%s" % (where, field), "must be a number >= 0 (pixels)"
        for field in ("width", "height"):
            if not _number(box.get(field)) or box[field] <= 0:
                return "%s.%s" % (where, field), "must be a number > 0 (pixels)"
    return None


def read_split(split_dir, class_count):
    """The records of a split, each with `path` (the image file) and `source` (file:line) added."""
    annotations_file = find_annotations(split_dir)
    records = []
    with open(annotations_file, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = "%s:%d" % (annotations_file, number)
            try:
                record = json.loads(line)
            except ValueError as error:
                raise DatasetError("%s: not a JSON line (%s)" % (where, error)) from None
            problem = _check_record(record, class_count)
            if problem:
                raise DatasetError("%s: field %s %s" % (where, problem[0], problem[1]))
            path = os.path.join(split_dir, *record["image"].split("/"))
            if not os.path.isfile(path):
                raise DatasetError("%s: field image: %s does not exist" % (where, path))
            records.append(dict(record, path=path, source=where))
    return records


def find_summary(split_dirs):
    """The dataset's summary.json next to the split folders (`<dataset>/summary.json`), if any.

    Locally a split is `<dataset>/<split>`; in SageMaker a channel holds `datasets/<id>/<split>/annotations.jsonl`, so
    the summary sits next to the annotations file's folder in both cases.
    """
    for split_dir in split_dirs:
        candidate = os.path.join(os.path.dirname(os.path.dirname(find_annotations(split_dir))), SUMMARY_FILE)
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                try:
                    summary = json.load(f)
                except ValueError as error:
                    raise DatasetError("%s: not JSON (%s)" % (candidate, error)) from None
            if not isinstance(summary.get("labelsHash"), str) or not isinstance(summary.get("classes"), list):
                raise DatasetError("%s: needs labelsHash (string) and classes (list)" % candidate)
            return candidate, summary
    return None, None


def load_image(record):
    """The record's image as RGB; its size must be the one the record states."""
    from PIL import Image

    with Image.open(record["path"]) as opened:
        image = opened.convert("RGB")
    if image.size != (record["width"], record["height"]):
        raise DatasetError(
            "%s: field width/height: says %dx%d, %s is %dx%d"
            % (record["source"], record["width"], record["height"], record["path"], image.width, image.height)
        )
    return image


def pixel_boxes(record):
    """The record's boxes as [x1, y1, x2, y2] in image pixels, and their class ids."""
    boxes = [[b["left"], b["top"], b["left"] + b["width"], b["top"] + b["height"]] for b in record["annotations"]]
    return boxes, [b["class_id"] for b in record["annotations"]]


def evaluation_sample(image, boxes, size, pad_value):
    """The model input (size: width, height) exactly as the edge prepares it, and the boxes in its pixels."""
    canvas, g = letterbox(image, size[0], size[1], pad_value)
    return canvas, boxes_to_input(boxes, image.width, image.height, g["width"], g["height"], g["padX"], g["padY"])


class Augmentation:
    """Augmentations that keep a scratch a scratch: flips, quarter turns, brightness and contrast, scale jitter.

    A scratch has no up or side, so flips and a quarter turn (with the flips: all eight symmetries of the square) show
    the model new examples. Photometric changes touch the image before letterboxing, so the padding keeps the value
    the edge uses.
    """

    def __init__(
        self, flip=0.5, rotate90=0.0, brightness=0.25, contrast=0.25, scale_jitter=0.15, jitter_probability=0.5
    ):
        self.flip = flip
        self.rotate90 = rotate90
        self.brightness = brightness
        self.contrast = contrast
        self.scale_jitter = scale_jitter
        self.jitter_probability = jitter_probability

    def __call__(self, image, boxes, labels, size, pad_value, rng):
        from PIL import Image, ImageEnhance

        if self.rotate90 and rng.random() < self.rotate90:
            # A quarter turn counter-clockwise: (x, y) in a w x h image lands on (y, w - x) in the h x w one.
            w = image.width
            image = image.transpose(Image.ROTATE_90)
            boxes = [[y1, w - x2, y2, w - x1] for x1, y1, x2, y2 in boxes]
        w, h = image.size
        if rng.random() < self.flip:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
            boxes = [[w - x2, y1, w - x1, y2] for x1, y1, x2, y2 in boxes]
        if rng.random() < self.flip:
            image = image.transpose(Image.FLIP_TOP_BOTTOM)
            boxes = [[x1, h - y2, x2, h - y1] for x1, y1, x2, y2 in boxes]
        image = ImageEnhance.Brightness(image).enhance(rng.uniform(1 - self.brightness, 1 + self.brightness))
        image = ImageEnhance.Contrast(image).enhance(rng.uniform(1 - self.contrast, 1 + self.contrast))
        if rng.random() >= self.jitter_probability:
            return evaluation_sample(image, boxes, size, pad_value) + (labels,)
        # Scaled up or down a little, placed anywhere the letterbox leaves room (or cropped where it leaves none).
        input_width, input_height = size
        scale = letterbox_geometry(w, h, input_width, input_height)["scale"]
        jitter = rng.uniform(1 - self.scale_jitter, 1 + self.scale_jitter)
        width, height = js_round(w * scale * jitter), js_round(h * scale * jitter)
        pad_x = rng.randint(min(0, input_width - width), max(0, input_width - width))
        pad_y = rng.randint(min(0, input_height - height), max(0, input_height - height))
        canvas = place(image, width, height, pad_x, pad_y, input_width, input_height, pad_value)
        kept_boxes, kept_labels = [], []
        for (x1, y1, x2, y2), label in zip(boxes_to_input(boxes, w, h, width, height, pad_x, pad_y), labels):
            x1, y1 = max(0.0, x1), max(0.0, y1)
            x2, y2 = min(float(input_width), x2), min(float(input_height), y2)
            if x2 - x1 >= MIN_BOX_SIDE and y2 - y1 >= MIN_BOX_SIDE:
                kept_boxes.append([x1, y1, x2, y2])
                kept_labels.append(label)
        return canvas, kept_boxes, kept_labels
