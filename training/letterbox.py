"""Letterbox preprocessing, identical to `letterboxGeometry` in contracts/modelManifest.ts (a test keeps them in step).

The edge letterboxes every camera image into the model's fixed input; training and evaluation feed the model images
prepared the same way, so the exported model sees at the edge what it saw in training.
"""

import math


def js_round(value):
    """JavaScript's Math.round (halves round up), not Python's round (halves to even)."""
    return math.floor(value + 0.5)


def letterbox_geometry(src_width, src_height, dst_width, dst_height):
    """Where an image of src_width x src_height lands inside an input of dst_width x dst_height."""
    scale = min(dst_width / src_width, dst_height / src_height)
    width = js_round(src_width * scale)
    height = js_round(src_height * scale)
    return {
        "scale": scale,
        "width": width,
        "height": height,
        "padX": (dst_width - width) // 2,
        "padY": (dst_height - height) // 2,
    }


def place(image, width, height, pad_x, pad_y, dst_width, dst_height, pad_value):
    """`image` (PIL, RGB) resized to width x height and pasted at (pad_x, pad_y) on a pad_value canvas.

    Offsets may be negative or push the image past the canvas (scale jitter in training); the canvas crops it.
    """
    from PIL import Image

    canvas = Image.new("RGB", (dst_width, dst_height), (pad_value, pad_value, pad_value))
    resized = image if image.size == (width, height) else image.resize((width, height), Image.BILINEAR)
    canvas.paste(resized, (pad_x, pad_y))
    return canvas


def letterbox(image, dst_width, dst_height, pad_value):
    """The model input for `image` (PIL, RGB) and its geometry, exactly as the edge prepares it."""
    geometry = letterbox_geometry(image.width, image.height, dst_width, dst_height)
    canvas = place(
        image,
        geometry["width"],
        geometry["height"],
        geometry["padX"],
        geometry["padY"],
        dst_width,
        dst_height,
        pad_value,
    )
    return canvas, geometry


def boxes_to_input(boxes, src_width, src_height, width, height, pad_x, pad_y):
    """Boxes [x1, y1, x2, y2] in pixels of a src_width x src_height image -> pixels of the input, for the image
    resized to width x height and placed at (pad_x, pad_y)."""
    sx, sy = width / src_width, height / src_height
    return [[x1 * sx + pad_x, y1 * sy + pad_y, x2 * sx + pad_x, y2 * sy + pad_y] for x1, y1, x2, y2 in boxes]
