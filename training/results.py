"""What a training run reports: metrics with their 95 % intervals, the split, the predictions, the summary lines."""

import datetime
import json
import os

PREDICTIONS_FILE = "predictions.json"


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def print_metrics(prefix, metrics):
    for name in ("map50_95", "map50", "precision", "recall"):
        print("metric: %s_%s=%.6f" % (prefix, name, metrics[name]), flush=True)


def split_definition(splits, summary):
    """model.json's `training.split`: how the data was split (from summary.json) and what each split held."""
    held = {split: records for split, records in splits.items() if records}
    definition = {
        "images": {split: len(records) for split, records in held.items()},
        "imagesWithBoxes": {split: sum(1 for r in records if r["annotations"]) for split, records in held.items()},
    }
    if summary:
        definition.update(summary.get("split") or {"method": "image-id-hash"})
        definition["fractions"] = summary.get("fractions")
    return {key: value for key, value in definition.items() if value is not None}


def describe(split, values, threshold):
    """The summary line of a split's metrics, with the intervals when there are any."""
    interval = values.get("interval")

    def metric(name):
        if not interval:
            return "%.4f" % values[name]
        return "%.4f (95%% CI %.3f-%.3f)" % (values[name], interval[name][0], interval[name][1])

    return "%s (%d images): mAP50-95 %s, mAP50 %s, precision %.4f, recall %.4f at score >= %.3f" % (
        split,
        values["images"],
        metric("map50_95"),
        metric("map50"),
        values["precision"],
        values["recall"],
        threshold,
    )


def evaluate_splits(predictions, threshold, args):
    """Metrics of each split's predictions, each mAP with its 95 % bootstrap interval (unless --bootstrap 0)."""
    from detection_metrics import evaluate

    metrics = {}
    for split, (detections, truths) in predictions.items():
        metrics[split] = evaluate(detections, truths, threshold)
        if args.bootstrap > 0:
            import metric_intervals

            interval = metric_intervals.intervals(detections, truths, resamples=args.bootstrap, seed=args.seed)
            if interval:
                metrics[split]["interval"] = interval
    return metrics


def save_predictions(predictions, folder):
    """Every split's detections and boxes (input pixels), to compare models on the same images later."""
    rounded = {
        split: {
            "detections": [[[[round(v, 2) for v in b], round(s, 5), c] for b, s, c in image] for image in detections],
            "truths": [[[[round(v, 2) for v in b], c] for b, c in image] for image in truths],
        }
        for split, (detections, truths) in predictions.items()
    }
    write_json(os.path.join(folder, PREDICTIONS_FILE), rounded, indent=None)


def write_json(path, value, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=indent)
        f.write("\n")
