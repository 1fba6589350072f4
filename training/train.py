"""Trains the scratch detector and exports it to ONNX, in a SageMaker training job or locally on a CPU.

SageMaker training contract: hyperparameters arrive as command-line arguments (unknown ones are ignored), the data
as channels (SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION, SM_CHANNEL_TEST), and everything in SM_MODEL_DIR becomes the
model artifact: model.onnx, model.json (contracts/modelManifest.ts) and metrics.json. Metrics are printed as lines
`metric: <name>=<value>` for the training job's metric definitions. Locally: `--data <dataset>` reads
<dataset>/train, <dataset>/validation and <dataset>/test; see training/README.md.
"""

import argparse
import datetime
import json
import math
import os
import random
import sys
import time

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
SPLIT_CHANNELS = {"train": "SM_CHANNEL_TRAIN", "validation": "SM_CHANNEL_VALIDATION", "test": "SM_CHANNEL_TEST"}


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
    value = _positive_int(text)
    if value < 64 or value % 32:
        raise argparse.ArgumentTypeError("must be a multiple of 32, at least 64 (got %s)" % text)
    return value


def _class_names(text):
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError("must be comma-separated non-empty names (got %r)" % text)
    return names


def parse_args(argv):
    """Hyperparameters and locations; SageMaker's own extra arguments are reported and ignored."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--epochs", type=_positive_int, default=20)
    add("--batch-size", "--batch_size", type=_positive_int, default=8)
    add("--image-size", "--image_size", type=_image_size, default=320, help="square model input, pixels")
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


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def print_metrics(prefix, metrics):
    for name in ("map50_95", "map50", "precision", "recall"):
        print("metric: %s_%s=%.6f" % (prefix, name, metrics[name]), flush=True)


def main(argv):
    args = parse_args(argv)
    # Imported after argument parsing so that --help and argument errors need no torch.
    import numpy as np
    import torch
    import torchvision

    import detector
    import export_check
    from detection_dataset import DatasetError, Augmentation, evaluation_sample, find_summary, load_image
    from detection_dataset import pixel_boxes, read_split
    from detection_metrics import best_f1_threshold, evaluate
    from labels_hash import labels_hash

    started = time.time()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    threads = args.threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    # Some builds (Debian's) start with one thread whatever the machine has.
    torch.set_num_threads(max(1, threads))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    framework = "pytorch %s, torchvision %s" % (torch.__version__, torchvision.__version__)
    print("%s on %s (%d threads)" % (framework, device, torch.get_num_threads()), flush=True)

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

    all_records = [record for records in splits.values() if records for record in records]
    data_hash = labels_hash(all_records)
    if summary:
        if summary["labelsHash"] != data_hash:
            print(
                "warning: %s says labelsHash %s, the annotations read hash to %s; recording the summary's"
                % (summary_path, summary["labelsHash"], data_hash),
                flush=True,
            )
        data_hash = summary["labelsHash"]

    size = args.image_size
    model, architecture = detector.build_model(len(classes), size, args.pretrained)
    model.to(device)
    parameters = sum(p.numel() for p in model.parameters())
    print("model: %s, %d parameters, input %dx%d" % (architecture, parameters, size, size), flush=True)

    def prepared(records):
        """Letterboxed inputs and boxes of records, as the edge would see them."""
        for record in records:
            boxes, labels = pixel_boxes(record)
            canvas, input_boxes = evaluation_sample(load_image(record), boxes, size, PAD_VALUE)
            yield record, canvas, input_boxes, labels

    # Letterboxed once: validation runs every few epochs, after training and for the export check.
    validation_items = list(prepared(splits["validation"]))

    def predict(items):
        """Detections and ground truth of prepared items, in input pixels."""
        model.eval()
        detections, truths = [], []
        with torch.no_grad():
            for start in range(0, len(items), args.batch_size):
                batch = items[start : start + args.batch_size]
                outputs = model([detector.to_tensor(canvas).to(device) for _, canvas, _, _ in batch])
                for (_, _, boxes, labels), output in zip(batch, outputs):
                    out_boxes, out_scores, out_labels = detector.detections_of(output)
                    detections.append(list(zip(out_boxes, out_scores, out_labels)))
                    truths.append(list(zip(boxes, labels)))
        return detections, truths

    def score_threshold(detections, truths):
        """The fixed threshold, or the one with the best F1 on these (validation) predictions."""
        if args.score_threshold != "auto":
            return args.score_threshold
        best = best_f1_threshold(detections, truths, detector.EXPORT_SCORE_FLOOR)
        if best is None:
            return DEFAULT_SCORE_THRESHOLD
        # Rounded down to three decimals so model.json reads well; every detection it kept stays kept.
        return max(detector.EXPORT_SCORE_FLOOR, math.floor(best * 1000) / 1000)

    train_records = splits["train"]
    steps_per_epoch = (len(train_records) + args.batch_size - 1) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.learning_rate, total_steps=args.epochs * steps_per_epoch, pct_start=0.15
    )
    augment = Augmentation()
    rng = random.Random(args.seed)
    train_loss = float("nan")
    training_started = time.time()
    for epoch in range(1, args.epochs + 1):
        epoch_started = time.time()
        model.train()
        order = list(train_records)
        rng.shuffle(order)
        losses = []
        for start in range(0, len(order), args.batch_size):
            images, targets = [], []
            for record in order[start : start + args.batch_size]:
                boxes, labels = pixel_boxes(record)
                canvas, boxes, labels = augment(load_image(record), boxes, labels, size, PAD_VALUE, rng)
                images.append(detector.to_tensor(canvas).to(device))
                targets.append({k: v.to(device) for k, v in detector.targets_of(boxes, labels).items()})
            loss_parts = model(images, targets)
            loss = sum(loss_parts.values())
            if not torch.isfinite(loss):
                raise SystemExit("training diverged at epoch %d (loss %s); lower --learning-rate" % (epoch, loss))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
        train_loss = sum(losses) / len(losses)
        print(
            "epoch %d/%d: loss %.4f, lr %.5f, %.1f s"
            % (epoch, args.epochs, train_loss, schedule.get_last_lr()[0], time.time() - epoch_started),
            flush=True,
        )
        print("metric: train_loss=%.6f" % train_loss, flush=True)
        if epoch % args.eval_every == 0 and epoch != args.epochs:
            predictions = predict(validation_items)
            interim = evaluate(*predictions, score_threshold(*predictions))
            print(
                "validation after epoch %d: mAP50-95 %.4f, mAP50 %.4f" % (epoch, interim["map50_95"], interim["map50"]),
                flush=True,
            )
            print_metrics("validation", interim)
    training_seconds = time.time() - training_started
    # The trained weights survive a failure in evaluation or export (SageMaker keeps the output data folder too).
    os.makedirs(args.output_data_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.output_data_dir, CHECKPOINT_FILE))

    validation = predict(validation_items)
    threshold = score_threshold(*validation)
    how = "fixed" if args.score_threshold != "auto" else "best F1 on validation at IoU 0.5"
    print("score threshold: %.3f (%s)" % (threshold, how), flush=True)
    metrics = {"validation": evaluate(*validation, threshold)}
    if splits["test"]:
        metrics["test"] = evaluate(*predict(list(prepared(splits["test"]))), threshold)
    for split, values in metrics.items():
        print(
            "%s (%d images): mAP50-95 %.4f, mAP50 %.4f, precision %.4f, recall %.4f at score >= %.3f"
            % (split, values["images"], values["map50_95"], values["map50"], values["precision"], values["recall"],
               threshold),
            flush=True,
        )
        print_metrics(split, values)

    # Export and verify on the CPU: that is where the edge runs it.
    model.to("cpu").eval()
    os.makedirs(args.model_dir, exist_ok=True)
    onnx_path = os.path.join(args.model_dir, MODEL_FILE)
    export_floor = min(detector.EXPORT_SCORE_FLOOR, threshold)
    detector.export_onnx(model, size, onnx_path, export_floor)
    print("exported %s (%.1f MB)" % (onnx_path, os.path.getsize(onnx_path) / 1e6), flush=True)
    print(detector.check_onnx(onnx_path), flush=True)

    check_folder = os.path.join(args.output_data_dir, CHECK_FOLDER)
    samples = []
    model.score_thresh = export_floor
    exported = detector.ExportedDetector(model).eval()
    with torch.no_grad():
        for record, canvas, _, _ in validation_items[: args.check_images]:
            tensor = detector.to_tensor(canvas).unsqueeze(0)
            boxes, scores, labels = exported(tensor)
            result = {"boxes": boxes.tolist(), "scores": scores.tolist(), "labels": labels.tolist()}
            samples.append((record["image"], tensor.numpy(), result))
    export_check.write_check(check_folder, detector.INPUT_NAME, [1, 3, size, size], export_floor, samples)
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

    seconds = time.time() - started
    manifest = {
        "schemaVersion": 1,
        "name": args.model_name,
        "version": model_version(args),
        "file": MODEL_FILE,
        "layout": "torchvision",
        "input": {"name": detector.INPUT_NAME, "width": size, "height": size, "padValue": PAD_VALUE},
        "classes": classes,
        "labelOffset": detector.LABEL_OFFSET,
        "scoreThreshold": threshold,
        "metrics": metrics,
        "training": {
            "architecture": architecture,
            "framework": framework,
            "epochs": args.epochs,
            "seconds": round(seconds, 1),
            "seed": args.seed,
            "dataHash": data_hash,
            "createdAt": iso_now(),
        },
    }
    with open(os.path.join(args.model_dir, MANIFEST_FILE), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    summary_metrics = dict(
        metrics,
        schemaVersion=1,
        trainLoss=train_loss,
        epochs=args.epochs,
        seconds=round(seconds, 1),
        secondsPerEpoch=round(training_seconds / args.epochs, 2),
        scoreThreshold=threshold,
    )
    with open(os.path.join(args.model_dir, METRICS_FILE), "w", encoding="utf-8") as f:
        json.dump(summary_metrics, f, indent=2)
        f.write("\n")
    print(
        "done in %.0f s (%.1f s per epoch); wrote %s, %s, %s to %s"
        % (seconds, training_seconds / args.epochs, MODEL_FILE, MANIFEST_FILE, METRICS_FILE, args.model_dir),
        flush=True,
    )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
