"""train.py's command line: hyperparameters (SageMaker passes them as `--name value`), where data and outputs go."""

import argparse
import datetime
import json
import os

SPLIT_CHANNELS = {"train": "SM_CHANNEL_TRAIN", "validation": "SM_CHANNEL_VALIDATION", "test": "SM_CHANNEL_TEST"}
# The model's options default to what the demo model was trained with (training/README.md, the variant table).
DEFAULTS = {
    "image_size": (384, 256),
    "ema_decay": 0.0,
    "rotate90": 0.0,
    "scale_jitter": 0.15,
    "anchor_ratios": (2.0, 3.0),
    "anchor_scales": (0.2, 0.95),
    "bootstrap": 2000,
}


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer (got %s)" % text)
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be a number from 0 to 1 (got %s)" % text)
    return value


def _threshold(text):
    return "auto" if text == "auto" else _fraction(text)


def _image_size(text):
    """"320" (a square input) or "384x256" (width x height) -> (width, height)."""
    try:
        values = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        values = ()
    values = values * 2 if len(values) == 1 else values
    if len(values) != 2 or any(value < 64 or value % 32 for value in values):
        raise argparse.ArgumentTypeError(
            "must be a multiple of 32, at least 64, or WIDTHxHEIGHT of two such (got %s)" % text
        )
    return values


def _ratios(text):
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not values or any(not 1 < value <= 20 for value in values):
        raise argparse.ArgumentTypeError("must be comma-separated aspect ratios above 1, at most 20 (got %s)" % text)
    return values


def _scales(text):
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        low = high = -1.0
    if not 0 < low < high <= 1:
        raise argparse.ArgumentTypeError("must be min,max with 0 < min < max <= 1 (got %s)" % text)
    return low, high


def _decay(text):
    value = _fraction(text)
    if value >= 1:
        raise argparse.ArgumentTypeError("must be from 0 (off) to below 1 (got %s)" % text)
    return value


def _class_names(text):
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError("must be comma-separated non-empty names (got %r)" % text)
    return names


def parse_args(argv):
    """Hyperparameters and locations; SageMaker's own extra arguments are reported and ignored."""
    parser = argparse.ArgumentParser(description="Trains the scratch detector and exports it to ONNX.")
    add = parser.add_argument
    add("--epochs", type=_positive_int, default=20)
    add("--batch-size", "--batch_size", type=_positive_int, default=8)
    add(
        "--image-size",
        "--image_size",
        type=_image_size,
        default=DEFAULTS["image_size"],
        help="model input in pixels: 320 (square) or WIDTHxHEIGHT",
    )
    add("--seed", type=int, default=0)
    add("--class-names", "--class_names", type=_class_names, help="comma separated (default: summary.json, scratch)")
    add(
        "--score-threshold",
        "--score_threshold",
        type=_threshold,
        default="auto",
        help="the edge's threshold, where P/R are measured (auto: best F1 on validation)",
    )
    add("--learning-rate", "--learning_rate", type=float, default=0.003, help="peak of the one-cycle schedule")
    add("--weight-decay", "--weight_decay", type=float, default=0.01)
    add("--ema-decay", "--ema_decay", type=_decay, default=DEFAULTS["ema_decay"], help="weight average, 0: off")
    add("--rotate90", type=_fraction, default=DEFAULTS["rotate90"], help="share of samples turned a quarter")
    add("--scale-jitter", "--scale_jitter", type=_fraction, default=DEFAULTS["scale_jitter"], help="+- this scale")
    add("--anchor-ratios", "--anchor_ratios", type=_ratios, default=DEFAULTS["anchor_ratios"], help="e.g. 2,3")
    add("--anchor-scales", "--anchor_scales", type=_scales, default=DEFAULTS["anchor_scales"], help="min,max")
    add("--bootstrap", type=int, default=DEFAULTS["bootstrap"], help="resamples for the 95%% intervals (0: none)")
    add("--pretrained", choices=["auto", "coco", "none"], default="auto", help="COCO weights (auto: if reachable)")
    add("--eval-every", "--eval_every", type=_positive_int, default=5, help="validate every N epochs")
    add("--check-images", "--check_images", type=_positive_int, default=4, help="images for the ONNX check")
    add("--threads", type=int, default=0, help="CPU threads (0: all this process may use)")
    add("--data", help="local dataset folder holding train/, validation/ and test/")
    for split, channel in SPLIT_CHANNELS.items():
        add("--" + split, help="split folder (default: $%s, else <data>/%s)" % (channel, split))
    add("--model-dir", "--model_dir", default=os.environ.get("SM_MODEL_DIR"), help="default: $SM_MODEL_DIR")
    add("--output-data-dir", "--output_data_dir", default=os.environ.get("SM_OUTPUT_DATA_DIR"))
    add("--model-name", "--model_name", default="scratch-detector")
    add("--model-version", "--model_version", help="default: the training job's name, else local-<time>")
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print("ignoring arguments this script does not use: %s" % " ".join(unknown), flush=True)
    if not args.model_dir:
        parser.error("--model-dir is required outside SageMaker (SM_MODEL_DIR is not set)")
    if not args.output_data_dir:
        args.output_data_dir = os.path.normpath(os.path.join(args.model_dir, "..", "output"))
    return args


def split_dirs(args):
    """The folder of each split: argument, else SageMaker channel, else <data>/<split>; None when absent."""
    dirs = {}
    for split, channel in SPLIT_CHANNELS.items():
        folder = getattr(args, split) or os.environ.get(channel)
        if not folder and args.data:
            candidate = os.path.join(args.data, split)
            folder = candidate if os.path.isdir(candidate) else None
        dirs[split] = folder
    for split in ("train", "validation"):
        if not dirs[split]:
            raise SystemExit(
                "no %s split: pass --data <dataset folder> or --%s <split folder> (SageMaker: the %s channel)"
                % (split, split, split)
            )
    return dirs


def model_version(args):
    if args.model_version:
        return args.model_version
    job = json.loads(os.environ.get("SM_TRAINING_ENV", "{}")).get("job_name")
    return job or "local-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
