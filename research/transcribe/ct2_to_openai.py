"""Derive an openai-whisper checkpoint from a CTranslate2 Whisper model, offline.

The CTranslate2 files that faster-whisper uses hold the same weights as OpenAI's
checkpoints. model.bin (binary version 6) is a header followed by named arrays; the
self-attention q/k/v projections are fused into one matrix and the cross-attention
k/v into another, and OpenAI's key projections have no bias.
"""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from research.errors import ModelNotAvailableError

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
SUPPORTED_BINARY_VERSIONS = {5, 6}


def read_ct2_variables(model_bin: Path) -> dict[str, np.ndarray]:
    """Every named array of a CTranslate2 model.bin, aliases resolved."""

    def read_string(handle: BinaryIO) -> str:
        (length,) = struct.unpack("<H", handle.read(2))
        return handle.read(length)[:-1].decode("utf-8")

    variables: dict[str, np.ndarray] = {}
    with model_bin.open("rb") as handle:
        (version,) = struct.unpack("<I", handle.read(4))
        if version not in SUPPORTED_BINARY_VERSIONS:
            raise ModelNotAvailableError(f"{model_bin}: CTranslate2 binary version {version} is not supported")
        read_string(handle)  # spec name
        handle.read(4)  # spec revision
        (count,) = struct.unpack("<I", handle.read(4))
        for _ in range(count):
            name = read_string(handle)
            (rank,) = struct.unpack("<B", handle.read(1))
            shape = struct.unpack(f"<{rank}I", handle.read(4 * rank))
            (type_id,) = struct.unpack("<B", handle.read(1))
            (num_bytes,) = struct.unpack("<I", handle.read(4))
            if type_id not in _DTYPES:
                raise ModelNotAvailableError(f"{model_bin}: array {name} has an unsupported type ({type_id})")
            variables[name] = np.frombuffer(handle.read(num_bytes), dtype=_DTYPES[type_id]).reshape(shape)
        (alias_count,) = struct.unpack("<I", handle.read(4))
        for _ in range(alias_count):
            alias, target = read_string(handle), read_string(handle)
            variables[alias] = variables[target]
    return variables


def _float(variables: dict[str, np.ndarray], name: str) -> torch.Tensor:
    array = variables[name]
    scale = variables.get(name + "_scale")
    if array.dtype == np.int8 and scale is not None:  # int8 weights are stored with a per-row scale
        array = array.astype(np.float32) / scale.astype(np.float32).reshape(-1, *([1] * (array.ndim - 1)))
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def _layer_count(variables: dict[str, np.ndarray], side: str) -> int:
    pattern = re.compile(rf"^{side}/layer_(\d+)/")
    return 1 + max(int(m.group(1)) for name in variables if (m := pattern.match(name)))


def convert_state_dict(variables: dict[str, np.ndarray]) -> tuple[dict[str, torch.Tensor], dict[str, int]]:
    """Map CTranslate2 Whisper variables to openai-whisper's state dict and dimensions."""
    get = lambda name: _float(variables, name)  # noqa: E731 - a short local alias keeps the mapping readable
    state: dict[str, torch.Tensor] = {}

    def linear(target: str, source: str, bias: bool = True) -> None:
        state[f"{target}.weight"] = get(f"{source}/weight")
        if bias:
            state[f"{target}.bias"] = get(f"{source}/bias")

    def norm(target: str, source: str) -> None:
        state[f"{target}.weight"] = get(f"{source}/gamma")
        state[f"{target}.bias"] = get(f"{source}/beta")

    def fused(targets: list[str], source: str, biased: list[bool]) -> None:
        weights = torch.chunk(get(f"{source}/weight"), len(targets), dim=0)
        biases = torch.chunk(get(f"{source}/bias"), len(targets), dim=0)
        for target, weight, bias, has_bias in zip(targets, weights, biases, biased):
            state[f"{target}.weight"] = weight.clone()
            if has_bias:
                state[f"{target}.bias"] = bias.clone()

    def block(target: str, source: str, cross: bool) -> None:
        attn = f"{target}.attn"
        fused([f"{attn}.query", f"{attn}.key", f"{attn}.value"], f"{source}/self_attention/linear_0", [True, False, True])
        linear(f"{attn}.out", f"{source}/self_attention/linear_1")
        norm(f"{target}.attn_ln", f"{source}/self_attention/layer_norm")
        if cross:
            linear(f"{target}.cross_attn.query", f"{source}/attention/linear_0")
            fused([f"{target}.cross_attn.key", f"{target}.cross_attn.value"], f"{source}/attention/linear_1", [False, True])
            linear(f"{target}.cross_attn.out", f"{source}/attention/linear_2")
            norm(f"{target}.cross_attn_ln", f"{source}/attention/layer_norm")
        linear(f"{target}.mlp.0", f"{source}/ffn/linear_0")
        linear(f"{target}.mlp.2", f"{source}/ffn/linear_1")
        norm(f"{target}.mlp_ln", f"{source}/ffn/layer_norm")

    encoder_layers, decoder_layers = _layer_count(variables, "encoder"), _layer_count(variables, "decoder")
    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    state["encoder.positional_embedding"] = get("encoder/position_encodings/encodings")
    for i in range(encoder_layers):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = get("decoder/embeddings/weight")
    state["decoder.positional_embedding"] = get("decoder/position_encodings/encodings")
    for i in range(decoder_layers):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    norm("decoder.ln", "decoder/layer_norm")

    conv1 = variables["encoder/conv1/weight"]
    embeddings = variables["decoder/embeddings/weight"]
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(variables["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": int(variables["encoder/num_heads"]),
        "n_audio_layer": encoder_layers,
        "n_vocab": int(embeddings.shape[0]),
        "n_text_ctx": int(variables["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(embeddings.shape[1]),
        "n_text_head": int(variables["decoder/num_heads"]),
        "n_text_layer": decoder_layers,
    }
    return state, dims


def convert(ct2_dir: Path, output: Path) -> Path:
    """Write an openai-whisper checkpoint (.pt) for the CTranslate2 model in `ct2_dir`.

    The checkpoint also carries the model's alignment heads (from config.json), which
    word timestamps need; `load_checkpoint` installs them.
    """
    import whisper.model

    model_bin = ct2_dir / "model.bin"
    if not model_bin.is_file():
        raise ModelNotAvailableError(f"{ct2_dir}: no model.bin, not a CTranslate2 model folder")
    state, dims = convert_state_dict(read_ct2_variables(model_bin))
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**dims))
    model.load_state_dict(state, strict=True)  # proves the mapping is complete before anything is written
    config_path = ct2_dir / "config.json"
    alignment_heads = json.loads(config_path.read_text()).get("alignment_heads") if config_path.is_file() else None
    checkpoint = {"dims": asdict(model.dims), "model_state_dict": model.state_dict(), "alignment_heads": alignment_heads}
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=output.parent, suffix=".partial", delete=False) as handle:
        torch.save(checkpoint, handle)
    os.replace(handle.name, output)
    return output


def load_checkpoint(path: Path, device: str = "cpu") -> torch.nn.Module:
    """Load an openai-whisper checkpoint, installing its alignment heads when it carries them."""
    import whisper.model

    checkpoint = torch.load(path, map_location=device, weights_only=False)
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**checkpoint["dims"]))
    model.load_state_dict(checkpoint["model_state_dict"])
    heads = checkpoint.get("alignment_heads")
    if heads:
        mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return model.to(device)
