"""Reading dataset splits: where the annotations are, what a bad line says, what augmentation does to boxes."""

import json
import os
import random
import shutil
import tempfile
import unittest

from detection_dataset import (
    Augmentation,
    DatasetError,
    evaluation_sample,
    find_annotations,
    find_summary,
    load_image,
    pixel_boxes,
    read_split,
)

try:
    from PIL import Image
except ImportError:  # Pillow comes with python3-torchvision
    Image = None

IMAGE_ID = "0123456789abcdef0123456789abcdef"
BOX = {"class_id": 0, "left": 10, "top": 5, "width": 20, "height": 10}


def record(**changes):
    good = {"image": "images/a.jpg", "image_id": IMAGE_ID, "width": 60, "height": 40, "annotations": [BOX]}
    return dict(good, **changes)


class SplitFolder(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)

    def write(self, relative, text):
        path = os.path.join(self.root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def write_lines(self, relative, records):
        return self.write(relative, "".join(json.dumps(r) + "\n" for r in records))


class FindTest(SplitFolder):
    def test_finds_the_one_annotations_file_at_any_depth(self):
        path = self.write_lines("datasets/ds-1/train/annotations.jsonl", [])
        self.assertEqual(find_annotations(self.root), path)

    def test_refuses_none_or_several(self):
        with self.assertRaisesRegex(DatasetError, "no annotations.jsonl"):
            find_annotations(self.root)
        self.write_lines("a/annotations.jsonl", [])
        self.write_lines("b/annotations.jsonl", [])
        with self.assertRaisesRegex(DatasetError, "more than one"):
            find_annotations(self.root)

    def test_refuses_a_missing_folder(self):
        with self.assertRaisesRegex(DatasetError, "not a directory"):
            find_annotations(os.path.join(self.root, "absent"))

    def test_finds_the_summary_next_to_the_split_folders(self):
        self.write_lines("datasets/ds-1/train/annotations.jsonl", [])
        self.write("datasets/ds-1/summary.json", json.dumps({"labelsHash": "f" * 64, "classes": ["scratch"]}))
        path, summary = find_summary([self.root])
        self.assertEqual(path, os.path.join(self.root, "datasets", "ds-1", "summary.json"))
        self.assertEqual(summary["classes"], ["scratch"])

    def test_no_summary_is_fine(self):
        self.write_lines("train/annotations.jsonl", [])
        self.assertEqual(find_summary([os.path.join(self.root, "train")]), (None, None))


class ReadTest(SplitFolder):
    def setUp(self):
        super().setUp()
        self.write("images/a.jpg", "")

    def problem(self, line_record, class_count=1):
        self.write("annotations.jsonl", json.dumps(record()) + "\n" + json.dumps(line_record) + "\n")
        with self.assertRaises(DatasetError) as raised:
            read_split(self.root, class_count)
        return str(raised.exception)

    def test_reads_records_with_the_image_path(self):
        self.write_lines("annotations.jsonl", [record(), record(annotations=[])])
        records = read_split(self.root, 1)
        self.assertEqual(len(records), 2)
        self.assertEqual(records[0]["path"], os.path.join(self.root, "images", "a.jpg"))
        self.assertEqual(pixel_boxes(records[0]), ([[10, 5, 30, 15]], [0]))
        self.assertEqual(pixel_boxes(records[1]), ([], []))

    def test_a_bad_line_is_named_with_its_field(self):
        self.assertRegex(self.problem(record(width=0)), r"annotations.jsonl:2: field width must be a positive")
        self.assertRegex(self.problem(record(image="../x.jpg")), r":2: field image must be a relative path")
        self.assertRegex(self.problem(record(image_id="X")), r":2: field image_id")
        self.assertRegex(
            self.problem(record(annotations=[dict(BOX, width=-1)])), r":2: field annotations\[0\].width must be"
        )
        self.assertRegex(
            self.problem(record(annotations=[dict(BOX, class_id=1)])),
            r":2: field annotations\[0\].class_id must be an integer from 0 to 0",
        )
        self.assertRegex(
            self.problem(record(image="images/missing.jpg")), r":2: field image: .*missing.jpg does not exist"
        )

    def test_a_line_that_is_not_json_is_named(self):
        self.write("annotations.jsonl", json.dumps(record()) + "\n{oops\n")
        with self.assertRaisesRegex(DatasetError, r"annotations.jsonl:2: not a JSON line"):
            read_split(self.root, 1)


@unittest.skipIf(Image is None, "Pillow is not importable (apt-get install python3-pil)")
class ImageTest(SplitFolder):
    def test_refuses_an_image_of_another_size_than_its_record(self):
        os.makedirs(os.path.join(self.root, "images"))
        Image.new("RGB", (50, 40)).save(os.path.join(self.root, "images", "a.jpg"))
        self.write_lines("annotations.jsonl", [record()])
        with self.assertRaisesRegex(DatasetError, r"field width/height: says 60x40, .* is 50x40"):
            load_image(read_split(self.root, 1)[0])

    def test_evaluation_boxes_land_where_the_letterbox_puts_the_image(self):
        canvas, boxes = evaluation_sample(Image.new("RGB", (60, 40)), [[10, 5, 30, 15]], (64, 64), 114)
        self.assertEqual(canvas.size, (64, 64))
        # 60x40 -> 64x43 at y 10
        self.assertAlmostEqual(boxes[0][0], 10 * 64 / 60)
        self.assertAlmostEqual(boxes[0][1], 5 * 43 / 40 + 10)

    def test_augmentation_keeps_boxes_on_what_they_marked(self):
        # A white box on black: wherever augmentation moves it, its box must still cover bright pixels only.
        image = Image.new("RGB", (90, 60))
        image.paste((255, 255, 255), (20, 10, 50, 30))
        augment = Augmentation(brightness=0, contrast=0)
        rng = random.Random(1)
        for _ in range(30):
            canvas, boxes, labels = augment(image, [[20, 10, 50, 30]], [0], (64, 64), 114, rng)
            self.assertEqual(canvas.size, (64, 64))
            self.assertEqual(labels, [0] * len(boxes))
            for x1, y1, x2, y2 in boxes:
                self.assertTrue(0 <= x1 < x2 <= 64 and 0 <= y1 < y2 <= 64)
                inner = canvas.crop((int(x1) + 2, int(y1) + 2, int(x2) - 2, int(y2) - 2)).convert("L")
                self.assertGreater(min(inner.getdata()), 200)

    def test_augmentation_fills_a_wide_input_and_keeps_boxes_inside_it(self):
        image = Image.new("RGB", (90, 60))
        image.paste((255, 255, 255), (20, 10, 50, 30))
        canvas, boxes = evaluation_sample(image, [[20, 10, 50, 30]], (96, 64), 114)
        # 90x60 into 96x64: the scale is 64/60 on both sides, 96 wide, no padding above or below
        self.assertEqual(canvas.size, (96, 64))
        self.assertAlmostEqual(boxes[0][1], 10 * 64 / 60)
        self.assertEqual(canvas.getpixel((48, 0)), (0, 0, 0))
        augment = Augmentation(brightness=0, contrast=0, scale_jitter=0.3, jitter_probability=1)
        rng = random.Random(3)
        for _ in range(30):
            canvas, boxes, _ = augment(image, [[20, 10, 50, 30]], [0], (96, 64), 114, rng)
            self.assertEqual(canvas.size, (96, 64))
            for x1, y1, x2, y2 in boxes:
                self.assertTrue(0 <= x1 < x2 <= 96 and 0 <= y1 < y2 <= 64)
                inner = canvas.crop((int(x1) + 2, int(y1) + 2, int(x2) - 2, int(y2) - 2)).convert("L")
                self.assertGreater(min(inner.getdata()), 200)

    def test_quarter_turns_keep_boxes_on_what_they_marked(self):
        image = Image.new("RGB", (90, 60))
        image.paste((255, 255, 255), (20, 10, 50, 30))
        augment = Augmentation(flip=0, rotate90=1, brightness=0, contrast=0, jitter_probability=0)
        canvas, boxes, _ = augment(image, [[20, 10, 50, 30]], [0], (64, 64), 114, random.Random(1))
        # 90x60 turned is 60x90, letterboxed to 43x64 at x 10: the box (10, 40)-(30, 70) of the turned image.
        scale = 64 / 90
        expected = [10 * scale + 10, 40 * scale, 30 * scale + 10, 70 * scale]
        for got, want in zip(boxes[0], expected):
            self.assertAlmostEqual(got, want, delta=0.5)
        x1, y1, x2, y2 = boxes[0]
        inner = canvas.crop((int(x1) + 2, int(y1) + 2, int(x2) - 2, int(y2) - 2)).convert("L")
        self.assertGreater(min(inner.getdata()), 200)

    def test_augmentation_is_repeatable_with_a_seed(self):
        image = Image.new("RGB", (90, 60), (40, 80, 120))
        first = Augmentation()(image, [[20, 10, 50, 30]], [0], (64, 64), 114, random.Random(7))
        second = Augmentation()(image, [[20, 10, 50, 30]], [0], (64, 64), 114, random.Random(7))
        self.assertEqual(first[1], second[1])
        self.assertEqual(list(first[0].getdata()), list(second[0].getdata()))


if __name__ == "__main__":
    unittest.main()
