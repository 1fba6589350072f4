"""Do the exported ONNX model and the PyTorch model find the same things?

train.py writes a check folder: a few letterboxed validation images as raw float32 tensors (`<i>.f32`, little-endian,
[1, 3, H, W]) and the PyTorch detections on them (`check.json`). Where onnxruntime is importable, train.py runs the
ONNX model on the same tensors and compares at once. Otherwise onnxruntime-node does it
(`npm run train:verify-onnx -- <check folder>`), writes `onnxruntime.json` next to `check.json`, and this module's
command line compares the two: `python3 export_check.py <check folder>`.

Agreement: per image, every detection the model outputs (score >= the export's score floor) is paired greedily
with one of the other side (same class, IoU >= 0.5); a detection without a partner is a disagreement unless its
score lies within the score tolerance of the floor (it may fall on either side of it). Paired boxes must agree
within BOX_TOLERANCE pixels, scores within SCORE_TOLERANCE.
"""

import json
import os
import sys

from detection_metrics import iou

CHECK_FILE = "check.json"
ONNXRUNTIME_FILE = "onnxruntime.json"
BOX_TOLERANCE = 0.5
SCORE_TOLERANCE = 0.005
PAIR_IOU = 0.5


def _detections(result, floor):
    return sorted(
        (
            (box, score, label)
            for box, score, label in zip(result["boxes"], result["scores"], result["labels"])
            if score >= floor
        ),
        key=lambda d: -d[1],
    )


def compare(reference, candidate, score_floor):
    """Agreement of candidate detections with reference ones, image by image (lists of {boxes, scores, labels})."""
    if len(reference) != len(candidate):
        raise ValueError("the two sides hold different numbers of images")
    floor = score_floor - SCORE_TOLERANCE
    report = {
        "images": len(reference),
        "reference": 0,
        "candidate": 0,
        "paired": 0,
        "unpaired": 0,
        "maxBoxDifference": 0.0,
        "maxScoreDifference": 0.0,
    }
    for ref_result, cand_result in zip(reference, candidate):
        ref, cand = _detections(ref_result, floor), _detections(cand_result, floor)
        report["reference"] += sum(1 for d in ref if d[1] >= score_floor)
        report["candidate"] += sum(1 for d in cand if d[1] >= score_floor)
        taken = [False] * len(cand)
        for box, score, label in ref:
            best, best_iou = -1, PAIR_IOU
            for j, (other, _, other_label) in enumerate(cand):
                overlap = iou(box, other)
                if not taken[j] and other_label == label and overlap >= best_iou:
                    best, best_iou = j, overlap
            if best < 0:
                report["unpaired"] += score >= score_floor + SCORE_TOLERANCE
                continue
            taken[best] = True
            report["paired"] += 1
            other, other_score, _ = cand[best]
            report["maxBoxDifference"] = max(report["maxBoxDifference"], *(abs(a - b) for a, b in zip(box, other)))
            report["maxScoreDifference"] = max(report["maxScoreDifference"], abs(score - other_score))
        report["unpaired"] += sum(
            1 for j, d in enumerate(cand) if not taken[j] and d[1] >= score_floor + SCORE_TOLERANCE
        )
    report["agree"] = (
        report["unpaired"] == 0
        and report["maxBoxDifference"] <= BOX_TOLERANCE
        and report["maxScoreDifference"] <= SCORE_TOLERANCE
    )
    return report


def describe(report):
    return (
        "%s: %d images, %d PyTorch / %d ONNX detections, %d paired, %d unpaired, "
        "max box difference %.2g px, max score difference %.2g"
        % (
            "agree" if report["agree"] else "DISAGREE",
            report["images"],
            report["reference"],
            report["candidate"],
            report["paired"],
            report["unpaired"],
            report["maxBoxDifference"],
            report["maxScoreDifference"],
        )
    )


def write_check(folder, input_name, shape, score_floor, samples):
    """Writes the check folder; samples are (image name, float32 numpy array, PyTorch result)."""
    os.makedirs(folder, exist_ok=True)
    images = []
    for i, (name, array, result) in enumerate(samples):
        tensor_file = "%d.f32" % i
        array.astype("<f4").tofile(os.path.join(folder, tensor_file))
        images.append({"image": name, "tensor": tensor_file, "pytorch": result})
    check = {"input": {"name": input_name, "shape": shape}, "scoreFloor": score_floor, "images": images}
    with open(os.path.join(folder, CHECK_FILE), "w", encoding="utf-8") as f:
        json.dump(check, f)


def run_onnxruntime(model_path, folder):
    """The ONNX model's results on the check tensors with Python onnxruntime, or None when it is not importable."""
    try:
        import numpy as np
        import onnxruntime
    except ImportError:
        return None
    with open(os.path.join(folder, CHECK_FILE), encoding="utf-8") as f:
        check = json.load(f)
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    results = []
    for image in check["images"]:
        array = np.fromfile(os.path.join(folder, image["tensor"]), dtype="<f4").reshape(check["input"]["shape"])
        boxes, scores, labels = session.run(None, {check["input"]["name"]: array})
        results.append({"boxes": boxes.tolist(), "scores": scores.tolist(), "labels": labels.tolist()})
    return results


def compare_folder(folder, candidate=None):
    """Compares check.json with the given ONNX results, or with the onnxruntime.json written next to it."""
    with open(os.path.join(folder, CHECK_FILE), encoding="utf-8") as f:
        check = json.load(f)
    if candidate is None:
        with open(os.path.join(folder, ONNXRUNTIME_FILE), encoding="utf-8") as f:
            candidate = json.load(f)["images"]
    return compare([image["pytorch"] for image in check["images"]], candidate, check["scoreFloor"])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 export_check.py <check folder holding %s and %s>" % (CHECK_FILE, ONNXRUNTIME_FILE))
    result = compare_folder(sys.argv[1])
    print(describe(result))
    print("agreement: " + json.dumps(result))
    sys.exit(0 if result["agree"] else 1)
