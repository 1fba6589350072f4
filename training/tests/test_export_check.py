"""The PyTorch-vs-ONNX agreement measure."""

import unittest

from export_check import BOX_TOLERANCE, SCORE_TOLERANCE, compare

FLOOR = 0.05


def result(*detections):
    return {
        "boxes": [d[0] for d in detections],
        "scores": [d[1] for d in detections],
        "labels": [d[2] for d in detections],
    }


REFERENCE = [result(([10, 10, 50, 40], 0.9, 1), ([60, 10, 90, 30], 0.3, 1)), result()]


class CompareTest(unittest.TestCase):
    def test_identical_results_agree(self):
        report = compare(REFERENCE, REFERENCE, FLOOR)
        self.assertTrue(report["agree"])
        self.assertEqual((report["images"], report["reference"], report["paired"], report["unpaired"]), (2, 2, 2, 0))

    def test_float_noise_agrees_and_is_measured(self):
        noisy = [result(([10.001, 10, 50, 40], 0.9002, 1), ([60, 10, 90, 30.003], 0.3, 1)), result()]
        report = compare(REFERENCE, noisy, FLOOR)
        self.assertTrue(report["agree"])
        self.assertAlmostEqual(report["maxBoxDifference"], 0.003, places=6)
        self.assertAlmostEqual(report["maxScoreDifference"], 0.0002, places=6)

    def test_a_missing_detection_disagrees(self):
        report = compare(REFERENCE, [result(([10, 10, 50, 40], 0.9, 1)), result()], FLOOR)
        self.assertFalse(report["agree"])
        self.assertEqual(report["unpaired"], 1)

    def test_an_extra_detection_disagrees(self):
        extra = [REFERENCE[0], result(([0, 0, 10, 10], 0.6, 1))]
        self.assertEqual(compare(REFERENCE, extra, FLOOR)["unpaired"], 1)

    def test_another_class_disagrees(self):
        other = [result(([10, 10, 50, 40], 0.9, 2), ([60, 10, 90, 30], 0.3, 1)), result()]
        self.assertFalse(compare(REFERENCE, other, FLOOR)["agree"])

    def test_a_box_moved_beyond_tolerance_disagrees(self):
        moved = [result(([10 + 2 * BOX_TOLERANCE, 10, 50, 40], 0.9, 1), ([60, 10, 90, 30], 0.3, 1)), result()]
        report = compare(REFERENCE, moved, FLOOR)
        self.assertEqual(report["unpaired"], 0)
        self.assertFalse(report["agree"])

    def test_a_score_moved_beyond_tolerance_disagrees(self):
        moved = [result(([10, 10, 50, 40], 0.9 - 2 * SCORE_TOLERANCE, 1), ([60, 10, 90, 30], 0.3, 1)), result()]
        self.assertFalse(compare(REFERENCE, moved, FLOOR)["agree"])

    def test_a_detection_at_the_floor_may_fall_either_side(self):
        borderline = [result(([10, 10, 50, 40], 0.9, 1), ([60, 10, 90, 30], 0.3, 1), ([0, 50, 9, 60], 0.051, 1))]
        self.assertTrue(compare(REFERENCE[:1], borderline, FLOOR)["agree"])

    def test_image_counts_must_match(self):
        with self.assertRaises(ValueError):
            compare(REFERENCE, REFERENCE[:1], FLOOR)


if __name__ == "__main__":
    unittest.main()
