"""Trains the scratch detector and exports it to ONNX, in a SageMaker training job or locally on a CPU.

SageMaker training contract: hyperparameters arrive as command-line arguments (unknown ones are ignored), the data
as channels (SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION, SM_CHANNEL_TEST), and everything in SM_MODEL_DIR becomes the
model artifact: model.onnx, model.json (contracts/modelManifest.ts) and metrics.json. Metrics are printed as lines
`metric: <name>=<value>` for the training job's metric definitions. Locally: `--data <dataset>` reads
<dataset>/train, <dataset>/validation and <dataset>/test; see training/README.md.
"""

import math
import os
import random
import sys
import time

from distributed import Group
from results import describe, evaluate_splits, iso_now, print_metrics, save_predictions, split_definition, write_json
from train_args import parse_args, split_dirs, model_version  # noqa: F401 (split_dirs: the tests reach it here)

MODEL_FILE = "model.onnx"
MANIFEST_FILE = "model.json"
METRICS_FILE = "metrics.json"
CHECK_FOLDER = "export-check"
CHECKPOINT_FILE = "model.pt"
# Set by callers that check the export with onnxruntime-node themselves (training/python.ts).
ONNX_CHECK_FOLLOWS = "QI_ONNX_CHECK_FOLLOWS"
PAD_VALUE = 114
# Used when --score-threshold auto finds nothing to choose from (no validation box was found).
DEFAULT_SCORE_THRESHOLD = 0.5


def read_dataset(args):
    """The splits' records, the class names, the data hash and the dataset summary (or None)."""
    from detection_dataset import DatasetError, find_summary, read_split
    from labels_hash import labels_hash

    dirs = split_dirs(args)
    try:
        summary_path, summary = find_summary([d for d in dirs.values() if d])
        classes = args.class_names or (summary["classes"] if summary else ["scratch"])
        if summary and args.class_names and summary["classes"] != args.class_names:
            raise DatasetError(
                "--class-names %s differs from the classes of %s: %s"
                % (",".join(args.class_names), summary_path, ",".join(summary["classes"]))
            )
        splits = {split: read_split(folder, len(classes)) if folder else None for split, folder in dirs.items()}
    except DatasetError as error:
        raise SystemExit("dataset error: %s" % error)
    for split in ("train", "validation"):
        if not splits[split]:
            raise SystemExit("dataset error: the %s split (%s) holds no images" % (split, dirs[split]))
    if splits["test"] is not None and not splits["test"]:
        print("the test split (%s) holds no images; no test metrics" % dirs["test"], flush=True)
        splits["test"] = None
    counts = ", ".join("%s %d" % (s, len(r)) for s, r in splits.items() if r is not None)
    print("dataset: %s images; classes %s" % (counts, ",".join(classes)), flush=True)

    data_hash = labels_hash([record for records in splits.values() if records for record in records])
    if summary:
        if summary["labelsHash"] != data_hash:
            print(
                "warning: %s says labelsHash %s, the annotations read hash to %s; recording the summary's"
                % (summary_path, summary["labelsHash"], data_hash),
                flush=True,
            )
        data_hash = summary["labelsHash"]
    return splits, classes, data_hash, summary


class Run:
    """One training run's settings and the helpers its steps share: device, letterboxing, prediction."""

    def __init__(self, args, group):
        import torch
        import torchvision

        self.args = args
        self.group = group
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        # Processes of one instance share its cores.
        threads = args.threads or cpus // int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        # Some builds (Debian's) start with one thread whatever the machine has.
        torch.set_num_threads(max(1, threads))
        self.device = group.start()
        self.framework = "pytorch %s, torchvision %s" % (torch.__version__, torchvision.__version__)
        print("%s on %s (%d threads)" % (self.framework, self.device, torch.get_num_threads()), flush=True)

    def prepared(self, records):
        """Letterboxed inputs and boxes of records, as the edge would see them."""
        from detection_dataset import evaluation_sample, load_image, pixel_boxes

        for record in records:
            boxes, labels = pixel_boxes(record)
            canvas, input_boxes = evaluation_sample(load_image(record), boxes, self.args.image_size, PAD_VALUE)
            yield record, canvas, input_boxes, labels

    def predict(self, model, items):
        """Detections and ground truth of prepared items, in input pixels."""
        import torch

        import detector

        model.eval()
        detections, truths = [], []
        with torch.no_grad():
            for start in range(0, len(items), self.args.batch_size):
                batch = items[start : start + self.args.batch_size]
                outputs = model([detector.to_tensor(canvas).to(self.device) for _, canvas, _, _ in batch])
                for (_, _, boxes, labels), output in zip(batch, outputs):
                    out_boxes, out_scores, out_labels = detector.detections_of(output)
                    detections.append(list(zip(out_boxes, out_scores, out_labels)))
                    truths.append(list(zip(boxes, labels)))
        return detections, truths

    def score_threshold(self, detections, truths):
        """The fixed threshold, or the one with the best F1 on these (validation) predictions."""
        import detector
        from detection_metrics import best_f1_threshold

        if self.args.score_threshold != "auto":
            return self.args.score_threshold
        best = best_f1_threshold(detections, truths, detector.EXPORT_SCORE_FLOOR)
        if best is None:
            return DEFAULT_SCORE_THRESHOLD
        # Rounded down to three decimals so model.json reads well; every detection it kept stays kept.
        return max(detector.EXPORT_SCORE_FLOOR, math.floor(best * 1000) / 1000)


def train(run, model, train_records, validation_items):
    """Trains on augmented batches, validating every --eval-every epochs; returns what fit() returns."""
    import detector
    from detection_dataset import Augmentation, load_image, pixel_boxes
    from detection_metrics import evaluate
    from fit import fit

    args, group = run.args, run.group
    augment = Augmentation(rotate90=args.rotate90, scale_jitter=args.scale_jitter)
    rng = random.Random(args.seed)
    # Every process shuffles the same order and takes its shard of it; each augments with its own draws.
    augment_rng = random.Random("%d-%d" % (args.seed, group.rank)) if group.distributed else rng

    def batches(epoch):
        order = list(train_records)
        rng.shuffle(order)
        order = group.shard(order)
        for start in range(0, len(order), args.batch_size):
            batch = []
            for record in order[start : start + args.batch_size]:
                boxes, labels = pixel_boxes(record)
                canvas, boxes, labels = augment(
                    load_image(record), boxes, labels, args.image_size, PAD_VALUE, augment_rng
                )
                batch.append((detector.to_tensor(canvas), detector.targets_of(boxes, labels)))
            yield batch

    def interim(epoch, net):
        if group.is_main and epoch % args.eval_every == 0 and epoch != args.epochs:
            predictions = run.predict(net, validation_items)
            values = evaluate(*predictions, run.score_threshold(*predictions))
            print(
                "validation after epoch %d: mAP50-95 %.4f, mAP50 %.4f" % (epoch, values["map50_95"], values["map50"]),
                flush=True,
            )
            print_metrics("validation", values)

    steps_per_epoch = (len(group.shard(train_records)) + args.batch_size - 1) // args.batch_size
    return fit(model, steps_per_epoch, batches, args, run.device, interim, wrap=group.wrap)


def main(argv):
    args = parse_args(argv)
    # Imported after argument parsing so that --help and argument errors need no torch.
    import numpy as np
    import torch

    import detector

    started = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    group = Group()
    run = Run(args, group)
    splits, classes, data_hash, summary = read_dataset(args)
    width, height = size = args.image_size
    anchors = {"ratios": args.anchor_ratios, "min_scale": args.anchor_scales[0], "max_scale": args.anchor_scales[1]}
    model, architecture = detector.build_model(len(classes), size, args.pretrained, anchors=anchors)
    model.to(run.device)
    parameters = sum(p.numel() for p in model.parameters())
    print("model: %s, %d parameters, input %dx%d" % (architecture, parameters, width, height), flush=True)

    # Letterboxed once: validation runs every few epochs, after training and for the export check.
    validation_items = list(run.prepared(splits["validation"]))
    model, train_loss, training_seconds = train(run, model, splits["train"], validation_items)
    if not group.is_main:
        # The main process evaluates, exports and writes the model; the others are done.
        group.finish()
        print("process %d: trained its shard; the main process writes the model" % group.rank, flush=True)
        return
    # The trained weights survive a failure in evaluation or export (SageMaker keeps the output data folder too).
    os.makedirs(args.output_data_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.output_data_dir, CHECKPOINT_FILE))

    predictions = {"validation": run.predict(model, validation_items)}
    threshold = run.score_threshold(*predictions["validation"])
    how = "fixed" if args.score_threshold != "auto" else "best F1 on validation at IoU 0.5"
    print("score threshold: %.3f (%s)" % (threshold, how), flush=True)
    if splits["test"]:
        predictions["test"] = run.predict(model, list(run.prepared(splits["test"])))
    metrics = evaluate_splits(predictions, threshold, args)
    save_predictions(predictions, args.output_data_dir)
    for split, values in metrics.items():
        print(describe(split, values, threshold), flush=True)
        print_metrics(split, values)

    # Export and verify on the CPU: that is where the edge runs it.
    model.to("cpu").eval()
    os.makedirs(args.model_dir, exist_ok=True)
    onnx_path = os.path.join(args.model_dir, MODEL_FILE)
    export_floor = min(detector.EXPORT_SCORE_FLOOR, threshold)
    detector.export_onnx(model, size, onnx_path, export_floor)
    print("exported %s (%.1f MB)" % (onnx_path, os.path.getsize(onnx_path) / 1e6), flush=True)
    print(detector.check_onnx(onnx_path), flush=True)
    check_export(model, validation_items, onnx_path, export_floor, args)

    seconds = time.time() - started
    manifest = {
        "schemaVersion": 1,
        "name": args.model_name,
        "version": model_version(args),
        "file": MODEL_FILE,
        "layout": "torchvision",
        "input": {"name": detector.INPUT_NAME, "width": width, "height": height, "padValue": PAD_VALUE},
        "classes": classes,
        "labelOffset": detector.LABEL_OFFSET,
        "scoreThreshold": threshold,
        "metrics": metrics,
        "training": {
            "architecture": architecture,
            "framework": run.framework,
            "epochs": args.epochs,
            "seconds": round(seconds, 1),
            "seed": args.seed,
            "dataHash": data_hash,
            "split": split_definition(splits, summary),
            "createdAt": iso_now(),
        },
    }
    write_json(os.path.join(args.model_dir, MANIFEST_FILE), manifest)
    summary_metrics = dict(
        metrics,
        schemaVersion=1,
        trainLoss=train_loss,
        epochs=args.epochs,
        seconds=round(seconds, 1),
        secondsPerEpoch=round(training_seconds / args.epochs, 2),
        scoreThreshold=threshold,
    )
    write_json(os.path.join(args.model_dir, METRICS_FILE), summary_metrics)
    print(
        "done in %.0f s (%.1f s per epoch); wrote %s, %s, %s to %s"
        % (seconds, training_seconds / args.epochs, MODEL_FILE, MANIFEST_FILE, METRICS_FILE, args.model_dir),
        flush=True,
    )
    group.finish()


def check_export(model, items, onnx_path, export_floor, args):
    """Saves a few validation images with the PyTorch detections; compares with onnxruntime where it is importable."""
    import torch

    import detector
    import export_check

    check_folder = os.path.join(args.output_data_dir, CHECK_FOLDER)
    samples = []
    model.score_thresh = export_floor
    exported = detector.ExportedDetector(model).eval()
    width, height = args.image_size
    with torch.no_grad():
        for record, canvas, _, _ in items[: args.check_images]:
            tensor = detector.to_tensor(canvas).unsqueeze(0)
            boxes, scores, labels = exported(tensor)
            result = {"boxes": boxes.tolist(), "scores": scores.tolist(), "labels": labels.tolist()}
            samples.append((record["image"], tensor.numpy(), result))
    export_check.write_check(check_folder, detector.INPUT_NAME, [1, 3, height, width], export_floor, samples)
    onnx_results = export_check.run_onnxruntime(onnx_path, check_folder)
    if onnx_results is None and os.environ.get(ONNX_CHECK_FOLLOWS):
        print("ONNX vs PyTorch: checked next by the caller, with onnxruntime-node", flush=True)
    elif onnx_results is None:
        print(
            "ONNX vs PyTorch: onnxruntime is not importable here; check later with "
            "`npm run train:verify-onnx -- --model %s --check %s`" % (onnx_path, check_folder),
            flush=True,
        )
    else:
        agreement = export_check.compare_folder(check_folder, onnx_results)
        print("ONNX vs PyTorch: " + export_check.describe(agreement), flush=True)
        if not agreement["agree"]:
            raise SystemExit("the exported model does not reproduce the PyTorch detections")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from malloc_settings import restart_with_settings

    restart_with_settings(sys.argv)
    main(sys.argv[1:])
