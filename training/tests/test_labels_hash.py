"""labelsHash in Python (parity with contracts/dataset.ts is checked from mocha)."""

import hashlib
import unittest

from labels_hash import annotations_json, js_number, labels_hash


class JsNumberTest(unittest.TestCase):
    def test_writes_numbers_as_javascript_does(self):
        cases = {
            0: "0",
            81: "81",
            81.0: "81",
            -0.0: "0",
            81.5: "81.5",
            0.1: "0.1",
            1e21: "1e+21",
            1e20: "100000000000000000000",
            1e-6: "0.000001",
            1e-7: "1e-7",
            2**60: "1152921504606847000",
            1.5e-10: "1.5e-10",
        }
        for value, text in cases.items():
            self.assertEqual(js_number(value), text, value)


class LabelsHashTest(unittest.TestCase):
    def test_writes_annotations_in_the_contract_key_order(self):
        box = {"height": 4, "width": 3, "top": 2, "left": 1.5, "class_id": 0}
        self.assertEqual(annotations_json([box]), '[{"class_id":0,"left":1.5,"top":2,"width":3,"height":4}]')
        self.assertEqual(annotations_json([]), "[]")

    def test_hashes_sorted_ids_and_annotations(self):
        a = {"image_id": "b" * 32, "annotations": []}
        b = {"image_id": "a" * 32, "annotations": [{"class_id": 0, "left": 1, "top": 2, "width": 3, "height": 4}]}
        text = "%s:%s\n%s:[]\n" % ("a" * 32, '[{"class_id":0,"left":1,"top":2,"width":3,"height":4}]', "b" * 32)
        self.assertEqual(labels_hash([a, b]), hashlib.sha256(text.encode()).hexdigest())
        self.assertEqual(labels_hash([a, b]), labels_hash([b, a]))


if __name__ == "__main__":
    unittest.main()
