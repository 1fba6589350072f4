"""The detector builder: COCO weights when they can be had, a clean start when not, and the input size."""

import os
import tempfile
import unittest

try:
    import torch

    import detector
except ImportError:  # python3-torchvision is not installed
    torch = None


@unittest.skipIf(torch is None, "torch/torchvision are not importable (apt-get install python3-torchvision)")
class BuildModelTest(unittest.TestCase):
    def test_starts_from_scratch_when_the_weights_cannot_be_fetched(self):
        offline = lambda: (None, "URLError: offline")  # noqa: E731
        model, description = detector.build_model(1, (128, 128), "auto", fetch_weights=offline)
        self.assertEqual(description, "ssdlite320_mobilenet_v3_large (from scratch)")
        self.assertEqual(model.transform.fixed_size, (128, 128))

    def test_insists_on_coco_weights_when_asked(self):
        with self.assertRaisesRegex(RuntimeError, "COCO weights not available \\(URLError: offline\\)"):
            detector.build_model(1, (128, 128), "coco", fetch_weights=lambda: (None, "URLError: offline"))

    def test_never_fetches_for_none(self):
        def fetch():
            raise AssertionError("must not fetch")

        detector.build_model(1, (128, 128), "none", fetch_weights=fetch)

    def test_takes_every_coco_weight_but_the_class_logits(self):
        coco = detector.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91)
        state = {name: value + 1 if value.is_floating_point() else value for name, value in coco.state_dict().items()}
        model, description = detector.build_model(2, (128, 128), "auto", fetch_weights=lambda: (state, None))
        self.assertIn("COCO weights", description)
        for name, value in model.state_dict().items():
            if not name.startswith(detector.CLASS_LOGITS):
                self.assertTrue(torch.equal(value, state[name]), name)
        logits = model.state_dict()[detector.CLASS_LOGITS + "module_list.0.1.weight"]
        # background + our two classes, per anchor
        self.assertEqual(logits.shape[0], model.anchor_generator.num_anchors_per_location()[0] * 3)

    def test_builds_the_anchors_it_is_given_and_a_head_that_scores_each(self):
        anchors = {"ratios": (2.0, 3.0, 5.0), "min_scale": 0.15, "max_scale": 0.95}
        model, description = detector.build_model(1, (128, 128), "none", anchors=anchors)
        self.assertIn("anchors ratios 2,3,5 scales 0.15-0.95", description)
        # three ratios and their inverses, the square box and the one between two scales
        self.assertEqual(model.anchor_generator.num_anchors_per_location(), [8] * 6)
        logits = model.state_dict()[detector.CLASS_LOGITS + "module_list.0.1.weight"]
        self.assertEqual(logits.shape[0], 8 * 2)
        model.eval()
        with torch.no_grad():
            output = model([torch.rand(3, 128, 128)])[0]
        self.assertEqual(set(output), {"boxes", "scores", "labels"})
        default, description = detector.build_model(1, (128, 128), "none")
        self.assertEqual(default.anchor_generator.num_anchors_per_location(), [6] * 6)
        self.assertNotIn("anchors", description)

    def test_takes_coco_weights_where_they_fit_other_anchors(self):
        coco = detector.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91)
        state = {name: value + 1 if value.is_floating_point() else value for name, value in coco.state_dict().items()}
        anchors = {"ratios": (2.0, 4.0, 6.0), "min_scale": 0.1, "max_scale": 0.9}
        model, description = detector.build_model(
            1, (128, 128), "auto", fetch_weights=lambda: (state, None), anchors=anchors
        )
        self.assertIn("COCO weights, new head", description)
        for name, value in model.state_dict().items():
            if not name.startswith(detector.HEAD):
                self.assertTrue(torch.equal(value, state[name]), name)

    def test_a_wide_input_keeps_its_width_and_height_apart(self):
        model, _ = detector.build_model(1, (192, 128), "none")
        self.assertEqual(model.transform.fixed_size, (192, 128))
        model.eval()
        with torch.no_grad():
            image = torch.rand(3, 128, 192)
            output = model([image])[0]
            images, _ = model.transform([image])
            anchors = model.anchor_generator(images, list(model.backbone(images.tensors).values()))
        boxes = output["boxes"]
        self.assertTrue(bool((boxes[:, 2] <= 192).all() and (boxes[:, 3] <= 128).all()))
        # anchors tile the whole input: centres run across all 192 columns, not a 128-pixel square
        centres = (anchors[0][:, 0] + anchors[0][:, 2]) / 2
        self.assertGreater(float(centres.max()), 170)
        self.assertLess(float(((anchors[0][:, 1] + anchors[0][:, 3]) / 2).max()), 128)

    def test_exports_a_wide_input_with_its_shape(self):
        try:
            import onnx
        except ImportError:
            self.skipTest("the onnx package is not importable (python3-onnx)")
        model, _ = detector.build_model(1, (192, 128), "none")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.onnx")
            detector.export_onnx(model, (192, 128), path, 0.05)
            dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
        self.assertEqual([d.dim_value for d in dims], [1, 3, 128, 192])

    def test_targets_and_outputs_shift_labels_past_the_background(self):
        target = detector.targets_of([], [])
        self.assertEqual(tuple(target["boxes"].shape), (0, 4))
        self.assertEqual(detector.targets_of([[0, 0, 5, 5]], [0])["labels"].tolist(), [1])
        output = {"boxes": torch.zeros(1, 4), "scores": torch.ones(1), "labels": torch.tensor([1])}
        self.assertEqual(detector.detections_of(output)[2], [0])


if __name__ == "__main__":
    unittest.main()
