"""Letterbox geometry and images (parity with contracts/modelManifest.ts is checked from mocha)."""

import unittest

from letterbox import boxes_to_input, js_round, letterbox, letterbox_geometry

try:
    from PIL import Image
except ImportError:  # Pillow comes with python3-torchvision
    Image = None


class GeometryTest(unittest.TestCase):
    def test_rounds_halves_up_like_javascript(self):
        self.assertEqual((js_round(2.5), js_round(3.5), js_round(2.4999)), (3, 4, 2))

    def test_wide_image_fills_the_width_and_centres_vertically(self):
        g = letterbox_geometry(450, 300, 320, 320)
        self.assertEqual((g["width"], g["height"], g["padX"], g["padY"]), (320, 213, 0, 53))
        self.assertAlmostEqual(g["scale"], 320 / 450)

    def test_tall_image_fills_the_height(self):
        g = letterbox_geometry(300, 450, 320, 320)
        self.assertEqual((g["width"], g["height"], g["padX"], g["padY"]), (213, 320, 53, 0))

    def test_small_image_is_scaled_up(self):
        g = letterbox_geometry(32, 16, 64, 64)
        self.assertEqual((g["scale"], g["width"], g["height"], g["padX"], g["padY"]), (2, 64, 32, 0, 16))

    def test_boxes_follow_the_image(self):
        self.assertEqual(boxes_to_input([[0, 0, 450, 300]], 450, 300, 320, 213, 0, 53), [[0, 53, 320, 266]])


@unittest.skipIf(Image is None, "Pillow is not importable (apt-get install python3-pil)")
class ImageTest(unittest.TestCase):
    def test_pads_with_the_pad_value_around_the_centred_image(self):
        image = Image.new("RGB", (40, 20), (200, 10, 30))
        canvas, g = letterbox(image, 64, 64, 114)
        self.assertEqual(canvas.size, (64, 64))
        self.assertEqual((g["width"], g["height"], g["padX"], g["padY"]), (64, 32, 0, 16))
        self.assertEqual(canvas.getpixel((0, 0)), (114, 114, 114))
        self.assertEqual(canvas.getpixel((32, 15)), (114, 114, 114))
        self.assertEqual(canvas.getpixel((32, 16)), (200, 10, 30))
        self.assertEqual(canvas.getpixel((32, 47)), (200, 10, 30))
        self.assertEqual(canvas.getpixel((32, 48)), (114, 114, 114))


if __name__ == "__main__":
    unittest.main()
