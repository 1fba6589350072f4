"""95 % bootstrap confidence intervals of mAP50-95 and mAP50, resampling images.

A split of a few dozen images gives an mAP that moves by several points with the choice of images; the interval says
how far. Percentile bootstrap: draw the split's images with replacement (same count), compute the metric, repeat;
the interval is the 2.5th to 97.5th percentile of the draws. Matching is per image (detection_metrics), so it is
done once; a draw only weights each image by how often it was drawn, which gives exactly the AP of the replicated
images (a detection drawn k times counts k times at its rank). `paired_difference` draws the same images for two
models, the interval of the difference between two models evaluated on one split. Needs NumPy.
"""

import numpy as np

from detection_metrics import IOU_THRESHOLDS, MAX_DETECTIONS, RECALL_POINTS, _by_class, _match_image

RESAMPLES = 2000
LEVEL = 0.95
_POINTS = np.array(RECALL_POINTS)


def _class_tables(detections, truths):
    """Per class with ground truth: detections in score order (image, hits at each IoU threshold), boxes per image."""
    tables = []
    classes = sorted({class_id for image in truths for _, class_id in image})
    for class_id in classes:
        images, scores, hits = [], [], []
        positives = np.zeros(len(truths))
        for index, (image_detections, image_truths) in enumerate(zip(detections, truths)):
            ranked = sorted(_by_class(image_detections, class_id, 2), key=lambda d: -d[1])[:MAX_DETECTIONS]
            boxes = [t[0] for t in _by_class(image_truths, class_id, 1)]
            positives[index] = len(boxes)
            pairs = [(d[0], d[1]) for d in ranked]
            per_threshold = [_match_image(pairs, boxes, threshold) for threshold in IOU_THRESHOLDS]
            for rank, (_, score) in enumerate(pairs):
                images.append(index)
                scores.append(score)
                hits.append([matched[rank] for matched in per_threshold])
        # The order evaluate() uses: by score, ties in image order (a stable sort of the concatenation).
        order = np.argsort(-np.array(scores, dtype=float), kind="stable")
        tables.append(
            {
                "image": np.array(images, dtype=int)[order],
                "hits": np.array(hits, dtype=float).reshape(-1, len(IOU_THRESHOLDS))[order].T,
                "positives": positives,
            }
        )
    return tables


def _weighted_aps(table, weights):
    """AP at each IoU threshold with image i counted weights[i] times; None when no drawn image has a box."""
    positives = float(weights @ table["positives"])
    if positives == 0:
        return None
    w = weights[table["image"]]
    kept = w > 0
    w, hits = w[kept], table["hits"][:, kept]
    if w.size == 0:
        return np.zeros(len(IOU_THRESHOLDS))
    true_positives = np.cumsum(hits * w, axis=1)
    precision = true_positives / np.cumsum(w)
    precision = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    recall = true_positives / positives
    aps = np.empty(len(IOU_THRESHOLDS))
    for t in range(len(IOU_THRESHOLDS)):
        at = np.searchsorted(recall[t], _POINTS, side="left")
        reached = at < w.size
        aps[t] = precision[t][np.minimum(at, w.size - 1)][reached].sum() / len(_POINTS)
    return aps


def _maps(tables, weights):
    """(mAP50-95, mAP50) over the classes with a box among the drawn images; NaN when no drawn image has one."""
    per_class = [aps for aps in (_weighted_aps(table, weights) for table in tables) if aps is not None]
    if not per_class:
        return float("nan"), float("nan")
    stacked = np.array(per_class)
    return float(stacked.mean()), float(stacked[:, 0].mean())


def _draws(images, resamples, seed):
    """How often each image is drawn, per resample: [resamples, images]."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(images, np.full(images, 1.0 / images), size=resamples).astype(float)


def _interval(values, level):
    """The percentile interval of the draws that have a value (a draw of images without boxes has no mAP)."""
    low, high = np.nanpercentile(values, [50 * (1 - level), 50 * (1 + level)])
    return [round(float(low), 4), round(float(high), 4)]


def point_estimates(detections, truths):
    """(mAP50-95, mAP50) by the weighted computation with every image once: equals evaluate()'s."""
    return _maps(_class_tables(detections, truths), np.ones(len(truths)))


def intervals(detections, truths, resamples=RESAMPLES, seed=0, level=LEVEL):
    """{"map50_95": [low, high], "map50": [low, high], "level", "resamples", "seed"}: the percentile interval; None
    when no image has a box (there is no mAP to draw)."""
    tables = _class_tables(detections, truths)
    if not tables:
        return None
    draws = np.array([_maps(tables, weights) for weights in _draws(len(truths), resamples, seed)])
    return {
        "map50_95": _interval(draws[:, 0], level),
        "map50": _interval(draws[:, 1], level),
        "level": level,
        "resamples": resamples,
        "seed": seed,
    }


def paired_difference(first, second, resamples=RESAMPLES, seed=0, level=LEVEL):
    """mAP50-95 of model B minus model A on the same images, with its interval, and each model's own mAP50-95
    ("first", "second"); each is (detections, truths)."""
    if len(first[1]) != len(second[1]):
        raise ValueError("the two models were evaluated on different numbers of images")
    a, b = _class_tables(*first), _class_tables(*second)
    ones = np.ones(len(first[1]))
    own = [_maps(tables, ones)[0] for tables in (a, b)]
    draws = [_maps(b, w)[0] - _maps(a, w)[0] for w in _draws(len(first[1]), resamples, seed)]
    return {
        "map50_95": round(own[1] - own[0], 4),
        "interval": _interval(np.array(draws), level),
        "resamples": resamples,
        "first": own[0],
        "second": own[1],
    }
