"""`labelsHash` of contracts/dataset.ts in Python: equal hashes mean equal training data (a test keeps them in step)."""

import hashlib
from decimal import Decimal

# The annotation keys in the order the contract's schema writes them.
ANNOTATION_KEYS = ("class_id", "left", "top", "width", "height")


def js_number(value):
    """A number as JavaScript's JSON.stringify writes it (ECMAScript Number::toString)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int) and abs(value) < 2**53:
        return str(value)
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMAScript does; only the layout differs.
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digits))
    k = len(digits)
    n = exponent + k
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = mantissa + "e" + ("+" if n - 1 >= 0 else "-") + str(abs(n - 1))
    return sign + text


def annotations_json(annotations):
    """JSON.stringify of a record's annotations after the contract's schema has parsed them."""
    boxes = ",".join(
        "{" + ",".join('"%s":%s' % (key, js_number(box[key])) for key in ANNOTATION_KEYS) + "}" for box in annotations
    )
    return "[" + boxes + "]"


def labels_hash(records):
    """SHA-256 over the records' image ids (sorted) and annotations, independent of the records' order."""
    digest = hashlib.sha256()
    for record in sorted(records, key=lambda r: r["image_id"]):
        digest.update(("%s:%s\n" % (record["image_id"], annotations_json(record["annotations"]))).encode("utf-8"))
    return digest.hexdigest()
