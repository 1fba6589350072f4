"""Known answers for the mAP implementation (COCO-style, 101 recall points)."""

import unittest

from detection_metrics import IOU_THRESHOLDS, best_f1_threshold, evaluate, iou

HALF = 51 / 101  # precision 1 up to recall 0.5, then nothing: 51 of the 101 recall points


def box(x, y, w=10, h=10):
    return [x, y, x + w, y + h]


class IouTest(unittest.TestCase):
    def test_identical_disjoint_and_partial(self):
        self.assertEqual(iou(box(0, 0), box(0, 0)), 1.0)
        self.assertEqual(iou(box(0, 0), box(20, 20)), 0.0)
        self.assertEqual(iou(box(0, 0), box(10, 0)), 0.0)  # touching edges share no area
        self.assertAlmostEqual(iou(box(0, 0), box(5, 0)), 50 / 150)


class EvaluateTest(unittest.TestCase):
    def test_thresholds_are_exact_decimals(self):
        self.assertEqual(IOU_THRESHOLDS, (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95))

    def test_perfect_detections_score_one(self):
        truths = [[(box(0, 0), 0), (box(30, 30), 0)], [(box(5, 5), 0)]]
        detections = [[(b, 0.9, c) for b, c in image] for image in truths]
        metrics = evaluate(detections, truths, 0.5)
        self.assertEqual(metrics, {"map50_95": 1.0, "map50": 1.0, "precision": 1.0, "recall": 1.0, "images": 2})

    def test_all_misses_score_zero(self):
        truths = [[(box(0, 0), 0)], [(box(50, 50), 0)]]
        detections = [[(box(100, 100), 0.9, 0)], [(box(0, 0), 0.8, 0)]]
        metrics = evaluate(detections, truths, 0.5)
        self.assertEqual(metrics, {"map50_95": 0.0, "map50": 0.0, "precision": 0.0, "recall": 0.0, "images": 2})

    def test_no_detections_at_all(self):
        metrics = evaluate([[]], [[(box(0, 0), 0)]], 0.5)
        self.assertEqual((metrics["map50_95"], metrics["precision"], metrics["recall"]), (0.0, 0.0, 0.0))

    def test_half_the_boxes_found(self):
        truths = [[(box(0, 0), 0), (box(20, 0), 0)], [(box(0, 20), 0), (box(20, 20), 0)]]
        detections = [[(box(0, 0), 0.9, 0)], [(box(0, 20), 0.8, 0)]]
        metrics = evaluate(detections, truths, 0.5)
        self.assertAlmostEqual(metrics["map50"], HALF)
        self.assertAlmostEqual(metrics["map50_95"], HALF)
        self.assertEqual((metrics["precision"], metrics["recall"]), (1.0, 0.5))

    def test_iou_exactly_at_the_threshold_counts(self):
        # Half the truth's height: IoU exactly 0.5 -> a hit at 0.50 only, one of ten thresholds.
        metrics = evaluate([[([0, 0, 10, 5], 0.9, 0)]], [[([0, 0, 10, 10], 0)]], 0.5)
        self.assertEqual(metrics["map50"], 1.0)
        self.assertAlmostEqual(metrics["map50_95"], 0.1)
        self.assertEqual(metrics["precision"], 1.0)

    def test_iou_just_below_the_threshold_misses(self):
        metrics = evaluate([[([0, 0, 10, 4.99], 0.9, 0)]], [[([0, 0, 10, 10], 0)]], 0.5)
        self.assertEqual((metrics["map50"], metrics["map50_95"], metrics["precision"]), (0.0, 0.0, 0.0))

    def test_iou_of_three_quarters_hits_six_thresholds(self):
        metrics = evaluate([[([0, 0, 10, 7.5], 0.9, 0)]], [[([0, 0, 10, 10], 0)]], 0.5)
        self.assertAlmostEqual(metrics["map50_95"], 0.6)

    def test_a_false_positive_ranked_first_halves_precision(self):
        truths = [[(box(0, 0), 0)]]
        metrics = evaluate([[(box(50, 50), 0.9, 0), (box(0, 0), 0.8, 0)]], truths, 0.5)
        self.assertAlmostEqual(metrics["map50"], 0.5)
        metrics = evaluate([[(box(50, 50), 0.7, 0), (box(0, 0), 0.8, 0)]], truths, 0.5)
        self.assertEqual(metrics["map50"], 1.0)
        self.assertEqual(metrics["precision"], 0.5)  # the false positive still counts at the threshold

    def test_a_duplicate_detection_is_a_false_positive(self):
        metrics = evaluate([[(box(0, 0), 0.9, 0), (box(0, 0), 0.8, 0)]], [[(box(0, 0), 0)]], 0.5)
        self.assertEqual(metrics["map50"], 1.0)
        self.assertEqual((metrics["precision"], metrics["recall"]), (0.5, 1.0))

    def test_score_threshold_moves_precision_and_recall_not_ap(self):
        truths = [[(box(0, 0), 0), (box(20, 0), 0)]]
        detections = [[(box(0, 0), 0.9, 0), (box(20, 0), 0.3, 0)]]
        strict, loose = evaluate(detections, truths, 0.5), evaluate(detections, truths, 0.2)
        self.assertEqual((strict["map50"], loose["map50"]), (1.0, 1.0))
        self.assertEqual((strict["recall"], loose["recall"]), (0.5, 1.0))

    def test_classes_do_not_match_each_other(self):
        metrics = evaluate([[(box(0, 0), 0.9, 1)]], [[(box(0, 0), 0)]], 0.5)
        self.assertEqual((metrics["map50"], metrics["precision"], metrics["recall"]), (0.0, 0.0, 0.0))

    def test_map_averages_over_classes_with_ground_truth(self):
        truths = [[(box(0, 0), 0), (box(20, 20), 1), (box(40, 40), 1)]]
        detections = [[(box(0, 0), 0.9, 0), (box(20, 20), 0.9, 1)]]
        self.assertAlmostEqual(evaluate(detections, truths, 0.5)["map50"], (1.0 + HALF) / 2)

    def test_detections_on_a_clean_image_are_false_positives(self):
        truths = [[(box(0, 0), 0)], []]
        detections = [[(box(0, 0), 0.5, 0)], [(box(0, 0), 0.9, 0)]]
        metrics = evaluate(detections, truths, 0.4)
        self.assertAlmostEqual(metrics["map50"], 0.5)
        self.assertEqual((metrics["precision"], metrics["recall"]), (0.5, 1.0))

    def test_each_detection_takes_the_best_free_truth(self):
        # The first detection overlaps both truths; it must take the one it overlaps most, leaving the other free.
        truths = [[(box(0, 0), 0), (box(4, 0), 0)]]
        detections = [[(box(3, 0), 0.9, 0), (box(0, 0), 0.8, 0)]]
        metrics = evaluate(detections, truths, 0.5)
        self.assertEqual(metrics["map50"], 1.0)

    def test_images_must_line_up(self):
        with self.assertRaises(ValueError):
            evaluate([[]], [], 0.5)


class BestF1ThresholdTest(unittest.TestCase):
    def test_keeps_the_true_positives_and_stops_before_the_false_ones(self):
        truths = [[(box(0, 0), 0), (box(20, 0), 0), (box(40, 0), 0)]]
        detections = [[(box(0, 0), 0.9, 0), (box(20, 0), 0.4, 0), (box(70, 70), 0.3, 0), (box(40, 0), 0.2, 0)]]
        # >= 0.4: 2 TP, 0 FP, F1 0.8; >= 0.2: 3 TP, 1 FP, F1 0.857
        self.assertEqual(best_f1_threshold(detections, truths, 0.05), 0.2)
        # below the floor a detection does not exist
        self.assertEqual(best_f1_threshold(detections, truths, 0.25), 0.4)

    def test_a_false_positive_above_every_hit_is_not_worth_keeping_alone(self):
        truths = [[(box(0, 0), 0)]]
        detections = [[(box(70, 70), 0.9, 0), (box(0, 0), 0.6, 0)]]
        self.assertEqual(best_f1_threshold(detections, truths, 0.05), 0.6)

    def test_equal_scores_go_together(self):
        truths = [[(box(0, 0), 0)]]
        detections = [[(box(0, 0), 0.7, 0), (box(70, 70), 0.7, 0), (box(90, 90), 0.2, 0)]]
        self.assertEqual(best_f1_threshold(detections, truths, 0.05), 0.7)

    def test_none_without_hits(self):
        self.assertIsNone(best_f1_threshold([[(box(70, 70), 0.9, 0)]], [[(box(0, 0), 0)]], 0.05))
        self.assertIsNone(best_f1_threshold([[]], [[]], 0.05))


if __name__ == "__main__":
    unittest.main()
