"""What train.py reports: the split a model was measured on, and the summary lines with their intervals."""

import unittest

from results import describe, split_definition

BOX = {"class_id": 0, "left": 1, "top": 2, "width": 3, "height": 4}


class ResultsTest(unittest.TestCase):
    splits = {
        "train": [{"annotations": [BOX]}, {"annotations": []}, {"annotations": [BOX, BOX]}],
        "validation": [{"annotations": [BOX]}],
        "test": None,
    }

    def test_the_split_counts_images_and_images_with_boxes_and_says_how_it_was_made(self):
        fractions = {"train": 0.7, "validation": 0.1, "test": 0.2}
        summary = {"fractions": fractions, "split": {"method": "stratified", "seed": 4}}
        self.assertEqual(
            split_definition(self.splits, summary),
            {
                "images": {"train": 3, "validation": 1},
                "imagesWithBoxes": {"train": 2, "validation": 1},
                "method": "stratified",
                "seed": 4,
                "fractions": {"train": 0.7, "validation": 0.1, "test": 0.2},
            },
        )

    def test_a_summary_from_before_split_methods_was_split_by_image_id_and_none_says_nothing(self):
        self.assertEqual(split_definition(self.splits, {"fractions": {}})["method"], "image-id-hash")
        self.assertEqual(set(split_definition(self.splits, None)), {"images", "imagesWithBoxes"})

    def test_the_summary_line_prints_each_map_with_its_interval(self):
        values = {"map50_95": 0.5612, "map50": 0.9, "precision": 0.8, "recall": 0.7, "images": 47}
        interval = {"map50_95": [0.512, 0.608], "map50": [0.85, 0.95]}
        self.assertEqual(
            describe("test", dict(values, interval=interval), 0.3),
            "test (47 images): mAP50-95 0.5612 (95% CI 0.512-0.608), mAP50 0.9000 (95% CI 0.850-0.950), "
            "precision 0.8000, recall 0.7000 at score >= 0.300",
        )
        self.assertIn("mAP50-95 0.5612, mAP50 0.9000,", describe("test", values, 0.3))


if __name__ == "__main__":
    unittest.main()
