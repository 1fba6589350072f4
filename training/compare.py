"""Compares two training runs on the same images: the difference in mAP50-95 with its paired 95 % bootstrap interval.

usage: python3 training/compare.py <run A output folder> <run B output folder> [--split test] [--resamples 2000]

Each folder is a run's output data folder (`predictions.json`, written by train.py). Both models are scored on the
same draws of images, so what the images have in common (a hard image is hard for both) cancels out: the interval
of the difference is much narrower than the two models' own intervals, and tells models apart that those do not.
"""

import argparse
import json
import os
import sys


def load(folder, split):
    with open(os.path.join(folder, "predictions.json"), encoding="utf-8") as f:
        predictions = json.load(f)
    if split not in predictions:
        raise SystemExit("%s has no %s predictions" % (folder, split))
    data = predictions[split]
    detections = [[(box, score, label) for box, score, label in image] for image in data["detections"]]
    truths = [[(box, label) for box, label in image] for image in data["truths"]]
    return detections, truths


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--split", default="test")
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import metric_intervals

    first, second = load(args.first, args.split), load(args.second, args.split)
    if first[1] != second[1]:
        raise SystemExit("the two runs were not evaluated on the same %s images" % args.split)
    result = metric_intervals.paired_difference(first, second, resamples=args.resamples, seed=args.seed)
    low, high = result["interval"]
    print(
        "%s mAP50-95, second minus first: %+.4f (95%% CI %+.4f to %+.4f, %d paired resamples)"
        % (args.split, result["map50_95"], low, high, result["resamples"])
    )
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
