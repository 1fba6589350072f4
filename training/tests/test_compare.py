"""compare.py: runs of different input sizes are compared on the same images, in one input's pixels."""

import contextlib
import io
import json
import os
import re
import tempfile
import unittest

import compare
from detection_metrics import evaluate
from tests.test_metric_intervals import scene

try:
    import numpy  # noqa: F401
except ImportError:
    numpy = None


def letterboxed(detections, truths, scale, pad_x, pad_y):
    """The same scene on another input: every box scaled and shifted as another letterbox would place it."""

    def move(b):
        return [b[0] * scale + pad_x, b[1] * scale + pad_y, b[2] * scale + pad_x, b[3] * scale + pad_y]

    return (
        [[(move(b), s, c) for b, s, c in image] for image in detections],
        [[(move(b), c) for b, c in image] for image in truths],
    )


class InFrameTest(unittest.TestCase):
    def test_moves_detections_onto_the_first_inputs_boxes(self):
        detections, truths = scene(12, seed=3)
        other_detections, other_truths = letterboxed(detections, truths, 1.2, 0, -21.5)
        moved = compare.in_frame_of(truths, other_detections, other_truths, "test")
        self.assertTrue(any(truths) and not all(truths), "images with and without boxes")
        for image, (mine, back) in enumerate(zip(detections, moved)):
            self.assertEqual(len(mine), len(back), image)
            if not truths[image]:
                continue  # nothing to place them by, and nothing they could match
            for (box, score, label), (moved_box, moved_score, moved_label) in zip(mine, back):
                self.assertEqual((score, label), (moved_score, moved_label))
                for want, got in zip(box, moved_box):
                    self.assertAlmostEqual(want, got, places=6)

    def test_refuses_other_images_or_other_labels(self):
        detections, truths = scene(6, seed=4)
        with self.assertRaisesRegex(SystemExit, "not evaluated on the same test images"):
            compare.in_frame_of(truths, detections[:5], truths[:5], "test")
        labeled = next(i for i, image in enumerate(truths) if image)
        fewer = [image[1:] if i == labeled else image for i, image in enumerate(truths)]
        with self.assertRaisesRegex(SystemExit, "image %d" % labeled):
            compare.in_frame_of(truths, detections, fewer, "test")

    def test_refuses_boxes_no_letterbox_explains(self):
        truths = [[([10, 10, 50, 30], 0), ([60, 20, 90, 80], 0)]]
        elsewhere = [[([10, 10, 50, 30], 0), ([70, 20, 90, 80], 0)]]
        with self.assertRaisesRegex(SystemExit, "validation image 0 has boxes in other places"):
            compare.in_frame_of(truths, [[]], elsewhere, "validation")

    def test_leaves_the_detections_of_an_image_without_boxes_where_they_are(self):
        found = [([1, 2, 3, 4], 0.9, 0)]
        self.assertEqual(compare.in_frame_of([[]], [found], [[]], "test"), [found])


@unittest.skipIf(numpy is None, "NumPy is not importable (it comes with python3-torch)")
class MainTest(unittest.TestCase):
    def run_compare(self, first, second, *options):
        with tempfile.TemporaryDirectory() as root:
            folders = []
            for name, (detections, truths) in (("a", first), ("b", second)):
                os.makedirs(os.path.join(root, name))
                with open(os.path.join(root, name, "predictions.json"), "w") as f:
                    halves = {"validation": slice(0, 5), "test": slice(5, None)}
                    json.dump({k: {"detections": detections[h], "truths": truths[h]} for k, h in halves.items()}, f)
                folders.append(os.path.join(root, name))
            with contextlib.redirect_stdout(io.StringIO()) as out:
                compare.main(folders + ["--resamples", "50", *options])
        self.output = out.getvalue()
        return json.loads(self.output.splitlines()[-1])

    def test_the_same_model_on_a_bigger_input_differs_by_nothing(self):
        detections, truths = scene(15, seed=5)
        result = self.run_compare((detections, truths), letterboxed(detections, truths, 384 / 320, 0, -21))
        self.assertEqual(result["map50_95"], 0)
        self.assertEqual(result["interval"], [0, 0])

    def test_a_worse_model_on_another_input_shows_a_loss(self):
        detections, truths = scene(15, seed=6)
        worse = [[(b, s, c) for b, s, c in image[::2]] for image in detections]
        result = self.run_compare((detections, truths), letterboxed(worse, truths, 1.2, 3, -21))
        self.assertLess(result["map50_95"], 0)
        self.assertRegex(self.output, r"test \(10 images\) mAP50-95: first 0\.\d{4}, second 0\.\d{4}")

    def test_pools_validation_and_test(self):
        detections, truths = scene(15, seed=7)
        worse = [[(b, s * 0.5 if i % 2 else s, c) for i, (b, s, c) in enumerate(image)] for image in detections]
        self.run_compare((detections, truths), (worse, truths), "--split", "validation+test")
        first, second = map(float, re.search(r"first ([0-9.]+), second ([0-9.]+)", self.output).groups())
        self.assertIn("validation+test (15 images)", self.output)
        self.assertEqual(first, round(evaluate(detections, truths, 0.5)["map50_95"], 4))
        self.assertEqual(second, round(evaluate(worse, truths, 0.5)["map50_95"], 4))


if __name__ == "__main__":
    unittest.main()
