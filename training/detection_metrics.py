"""Detection metrics, COCO style, in plain Python (tested on hand-made cases with known answers).

- AP of a class at one IoU threshold: detections of all images sorted by score; each detection, in its image and in
  score order, matches the unmatched ground-truth box of its class with the highest IoU, if that IoU is >= the
  threshold; precision is made monotone and read at the 101 recall points 0, 0.01, ..., 1 (as pycocotools does).
- mAP50-95: mean over classes that have ground truth and over IoU thresholds 0.50, 0.55, ..., 0.95; mAP50: at 0.50.
- precision and recall: at the model's score threshold and IoU 0.5, over all classes; 0 where nothing is counted.

A detection is (box, score, class_id); a ground-truth box is (box, class_id); boxes are [x1, y1, x2, y2].
"""

IOU_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
RECALL_POINTS = tuple(i / 100 for i in range(101))
# Per image and class, only the best-scoring detections count (pycocotools' maxDets).
MAX_DETECTIONS = 100


def iou(a, b):
    """Intersection over union of two boxes [x1, y1, x2, y2] (continuous coordinates)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    intersection = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    return intersection / union


def _match_image(detections, truths, threshold):
    """Whether each detection (sorted by score, descending) is a true positive in its image."""
    matched = [False] * len(truths)
    hits = []
    for box, _ in detections:
        best, best_iou = -1, threshold
        for j, truth in enumerate(truths):
            if matched[j]:
                continue
            overlap = iou(box, truth)
            if overlap >= best_iou:
                best, best_iou = j, overlap
        if best >= 0:
            matched[best] = True
        hits.append(best >= 0)
    return hits


def average_precision(scored_hits, positives):
    """AP from (score, is_true_positive) pairs of all images and the number of ground-truth boxes."""
    if positives == 0:
        return None
    ordered = sorted(scored_hits, key=lambda pair: -pair[0])
    precisions, recalls = [], []
    true_positives = 0
    for rank, (_, hit) in enumerate(ordered, start=1):
        true_positives += hit
        precisions.append(true_positives / rank)
        recalls.append(true_positives / positives)
    for i in range(len(precisions) - 2, -1, -1):
        precisions[i] = max(precisions[i], precisions[i + 1])
    total, i = 0.0, 0
    for point in RECALL_POINTS:
        while i < len(recalls) and recalls[i] < point:
            i += 1
        total += precisions[i] if i < len(recalls) else 0.0
    return total / len(RECALL_POINTS)


def _by_class(items, class_id, key):
    return [item for item in items if item[key] == class_id]


def evaluate(detections, truths, score_threshold):
    """Metrics over images: detections[i] and truths[i] belong to image i.

    Returns map50_95, map50, precision, recall and images (the number of images evaluated).
    """
    if len(detections) != len(truths):
        raise ValueError("detections and truths must list the same images")
    classes = sorted({class_id for image in truths for _, class_id in image})
    ap_by_threshold = {threshold: [] for threshold in IOU_THRESHOLDS}
    for class_id in classes:
        per_image = []
        for image_detections, image_truths in zip(detections, truths):
            ranked = sorted(_by_class(image_detections, class_id, 2), key=lambda d: -d[1])[:MAX_DETECTIONS]
            per_image.append(([(d[0], d[1]) for d in ranked], [t[0] for t in _by_class(image_truths, class_id, 1)]))
        positives = sum(len(image_truths) for _, image_truths in per_image)
        for threshold in IOU_THRESHOLDS:
            scored_hits = []
            for ranked, image_truths in per_image:
                hits = _match_image(ranked, image_truths, threshold)
                scored_hits.extend((score, hit) for (_, score), hit in zip(ranked, hits))
            ap_by_threshold[threshold].append(average_precision(scored_hits, positives))
    all_aps = [ap for aps in ap_by_threshold.values() for ap in aps]

    scored_hits, positives = _hits_at_iou50(detections, truths, score_threshold)
    true_positives = sum(hit for _, hit in scored_hits)
    counted = len(scored_hits)
    return {
        "map50_95": sum(all_aps) / len(all_aps) if all_aps else 0.0,
        "map50": sum(ap_by_threshold[0.5]) / len(classes) if classes else 0.0,
        "precision": true_positives / counted if counted else 0.0,
        "recall": true_positives / positives if positives else 0.0,
        "images": len(truths),
    }


def _hits_at_iou50(detections, truths, min_score):
    """Per image and class, the detections scoring >= min_score matched at IoU 0.5: ([(score, hit)], true boxes)."""
    scored_hits, positives = [], 0
    for image_detections, image_truths in zip(detections, truths):
        for class_id in {d[2] for d in image_detections} | {t[1] for t in image_truths}:
            ranked = sorted(
                (d for d in _by_class(image_detections, class_id, 2) if d[1] >= min_score), key=lambda d: -d[1]
            )[:MAX_DETECTIONS]
            class_truths = [t[0] for t in _by_class(image_truths, class_id, 1)]
            hits = _match_image([(d[0], d[1]) for d in ranked], class_truths, IOU_THRESHOLDS[0])
            scored_hits.extend((d[1], hit) for d, hit in zip(ranked, hits))
            positives += len(class_truths)
    return scored_hits, positives


def best_f1_threshold(detections, truths, floor):
    """The score threshold (>= floor) with the best F1 at IoU 0.5, over all classes; None without boxes or hits.

    Matching greedily in score order means the matches above any threshold are those of the full matching, so one
    matching serves every candidate threshold.
    """
    scored_hits, positives = _hits_at_iou50(detections, truths, floor)
    scored_hits.sort(key=lambda pair: -pair[0])
    best, best_f1, true_positives = None, 0.0, 0
    for i, (score, hit) in enumerate(scored_hits):
        true_positives += hit
        if i + 1 < len(scored_hits) and scored_hits[i + 1][0] == score:
            continue  # a threshold keeps all detections of equal score or none
        f1 = 2 * true_positives / (i + 1 + positives)
        if f1 > best_f1:
            best, best_f1 = score, f1
    return best
