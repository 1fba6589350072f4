"""Compares two training runs on the same images: the difference in mAP50-95 with its paired 95 % bootstrap interval.

usage: python3 training/compare.py <run A output folder> <run B output folder> [--split test] [--resamples 2000]

--split validation+test pools the two held-out splits (more images, so narrower intervals), for runs whose
validation was not used to choose between them.

Each folder is a run's output data folder (`predictions.json`, written by train.py). Both models are scored on the
same draws of images, so what the images have in common (a hard image is hard for both) cancels out: the interval
of the difference is much narrower than the two models' own intervals, and tells models apart that those do not.

Boxes are in the pixels of each model's input, so runs with different input sizes (320 and 384x256) have their
labeled boxes in different places: the second run's detections are moved into the first run's input by the letterbox
that maps its labeled boxes onto the first's (per image and axis: a scale and an offset). Where an image has no
labeled box, where its detections are does not matter: each is a false positive.
"""

import argparse
import json
import os
import sys


def load(folder, split):
    """(detections, truths) of a run's split; "a+b" joins splits a and b, in that order."""
    with open(os.path.join(folder, "predictions.json"), encoding="utf-8") as f:
        predictions = json.load(f)
    detections, truths = [], []
    for part in split.split("+"):
        if part not in predictions:
            raise SystemExit("%s has no %s predictions" % (folder, part))
        data = predictions[part]
        detections += [[(box, score, label) for box, score, label in image] for image in data["detections"]]
        truths += [[(box, label) for box, label in image] for image in data["truths"]]
    return detections, truths


# Letterbox rounding moves a box edge by under a pixel; anything further is another image or other labels.
MATCH_PIXELS = 1.5


def _axis_map(sources, targets):
    """The scale and offset that take the values `sources` onto `targets` (least squares), or None if they do not."""
    n = len(sources)
    mean_s, mean_t = sum(sources) / n, sum(targets) / n
    spread = sum((v - mean_s) ** 2 for v in sources)
    scale = sum((v - mean_s) * (t - mean_t) for v, t in zip(sources, targets)) / spread if spread else 1.0
    offset = mean_t - scale * mean_s
    if any(abs(scale * v + offset - t) > MATCH_PIXELS for v, t in zip(sources, targets)):
        return None
    return scale, offset


def in_frame_of(truths, detections, other_truths, split):
    """`detections` (made on the input where `other_truths` lie) moved into the input where `truths` lie."""
    if len(truths) != len(other_truths):
        raise SystemExit("the two runs were not evaluated on the same %s images" % split)
    moved = []
    for image, (mine, theirs, found) in enumerate(zip(truths, other_truths, detections)):
        if [label for _, label in mine] != [label for _, label in theirs]:
            raise SystemExit("the two runs were not evaluated on the same %s images (image %d)" % (split, image))
        if not mine:
            moved.append(found)
            continue
        maps = [
            _axis_map([b[i] for b, _ in theirs for i in axis], [b[i] for b, _ in mine for i in axis])
            for axis in ((0, 2), (1, 3))
        ]
        if None in maps:
            raise SystemExit("the two runs' %s image %d has boxes in other places" % (split, image))
        (sx, tx), (sy, ty) = maps
        moved.append([([sx * b[0] + tx, sy * b[1] + ty, sx * b[2] + tx, sy * b[3] + ty], s, c) for b, s, c in found])
    return moved


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
    second = (in_frame_of(first[1], second[0], second[1], args.split), first[1])
    result = metric_intervals.paired_difference(first, second, resamples=args.resamples, seed=args.seed)
    low, high = result["interval"]
    print(
        "%s (%d images) mAP50-95: first %.4f, second %.4f"
        % (args.split, len(first[1]), result["first"], result["second"])
    )
    print(
        "%s mAP50-95, second minus first: %+.4f (95%% CI %+.4f to %+.4f, %d paired resamples)"
        % (args.split, result["map50_95"], low, high, result["resamples"])
    )
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
