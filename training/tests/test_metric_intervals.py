"""The bootstrap intervals: the weighted AP is exactly the AP of the replicated images, and intervals behave."""

import random
import unittest

try:
    import numpy  # noqa: F401

    import metric_intervals
except ImportError:  # NumPy comes with torch; without it there are no intervals
    metric_intervals = None

from detection_metrics import evaluate


def scene(images, classes=1, seed=1):
    """Random images: boxes found with some jitter, some missed, and false alarms at low scores."""
    rng = random.Random(seed)
    detections, truths = [], []
    for _ in range(images):
        image_detections, image_truths = [], []
        for _ in range(rng.randint(0, 4)):
            x, y, w, h = rng.uniform(0, 200), rng.uniform(0, 200), rng.uniform(10, 80), rng.uniform(10, 80)
            class_id = rng.randrange(classes)
            image_truths.append(([x, y, x + w, y + h], class_id))
            if rng.random() < 0.8:
                jitter = [rng.gauss(0, 3) for _ in range(4)]
                box = [x + jitter[0], y + jitter[1], x + w + jitter[2], y + h + jitter[3]]
                image_detections.append((box, rng.random(), class_id))
        for _ in range(rng.randint(0, 30)):
            x, y = rng.uniform(0, 200), rng.uniform(0, 200)
            image_detections.append(([x, y, x + 20, y + 20], rng.random() * 0.5, rng.randrange(classes)))
        detections.append(image_detections)
        truths.append(image_truths)
    return detections, truths


@unittest.skipIf(metric_intervals is None, "NumPy is not importable")
class IntervalsTest(unittest.TestCase):
    def test_every_image_once_gives_evaluates_numbers(self):
        for classes in (1, 3):
            detections, truths = scene(40, classes)
            metrics = evaluate(detections, truths, 0.5)
            map50_95, map50 = metric_intervals.point_estimates(detections, truths)
            self.assertAlmostEqual(map50_95, metrics["map50_95"], places=12)
            self.assertAlmostEqual(map50, metrics["map50"], places=12)

    def test_a_draw_scores_like_its_images_listed_as_often_as_drawn(self):
        detections, truths = scene(30, classes=2, seed=4)
        tables = metric_intervals._class_tables(detections, truths)
        for weights in metric_intervals._draws(len(truths), 5, seed=3):
            replicated = [(d, t) for d, t, w in zip(detections, truths, weights) for _ in range(int(w))]
            metrics = evaluate([d for d, _ in replicated], [t for _, t in replicated], 0.5)
            map50_95, map50 = metric_intervals._maps(tables, weights)
            self.assertAlmostEqual(map50_95, metrics["map50_95"], places=9)
            self.assertAlmostEqual(map50, metrics["map50"], places=9)

    def test_the_interval_holds_the_estimate_and_narrows_with_more_images(self):
        small = scene(20, seed=7)
        large = scene(320, seed=7)
        widths = []
        for detections, truths in (small, large):
            result = metric_intervals.intervals(detections, truths, resamples=500, seed=0)
            low, high = result["map50_95"]
            self.assertLessEqual(low, evaluate(detections, truths, 0.5)["map50_95"] + 1e-4)
            self.assertGreaterEqual(high, evaluate(detections, truths, 0.5)["map50_95"] - 1e-4)
            self.assertEqual((result["level"], result["resamples"], result["seed"]), (0.95, 500, 0))
            widths.append(high - low)
        self.assertLess(widths[1], widths[0] / 2)

    def test_is_repeatable_with_its_seed(self):
        detections, truths = scene(30)
        first = metric_intervals.intervals(detections, truths, resamples=200, seed=5)
        self.assertEqual(first, metric_intervals.intervals(detections, truths, resamples=200, seed=5))
        self.assertNotEqual(first, metric_intervals.intervals(detections, truths, resamples=200, seed=6))

    def test_perfect_detections_have_a_point_interval(self):
        truths = [[([0, 0, 10, 10], 0)], [([5, 5, 30, 30], 0)], []]
        detections = [[(box, 0.9, c) for box, c in image] for image in truths]
        result = metric_intervals.intervals(detections, truths, resamples=100)
        self.assertEqual((result["map50_95"], result["map50"]), ([1.0, 1.0], [1.0, 1.0]))

    def test_images_without_boxes_have_no_interval(self):
        self.assertIsNone(metric_intervals.intervals([[([0, 0, 5, 5], 0.9, 0)], []], [[], []], resamples=10))

    def test_a_paired_difference_is_zero_for_the_same_model_and_positive_for_a_better_one(self):
        detections, truths = scene(40)
        same = metric_intervals.paired_difference((detections, truths), (detections, truths), resamples=200)
        self.assertEqual((same["map50_95"], same["interval"]), (0.0, [0.0, 0.0]))
        perfect = [[(box, 0.99, c) for box, c in image] for image in truths]
        better = metric_intervals.paired_difference((detections, truths), (perfect, truths), resamples=200)
        self.assertGreater(better["interval"][0], 0)
        with self.assertRaisesRegex(ValueError, "different numbers of images"):
            metric_intervals.paired_difference((detections, truths), (detections[:-1], truths[:-1]))


if __name__ == "__main__":
    unittest.main()
