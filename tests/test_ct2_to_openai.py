"""Deriving openai-whisper checkpoints from CTranslate2 weights."""

import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from research.errors import ModelNotAvailableError
from research.transcribe.ct2_to_openai import convert, load_checkpoint, read_ct2_variables
from research.transcribe.models import resolve_ct2


def _write_model_bin(path, variables, aliases, version=6):
    """The layout CTranslate2's ModelSpec._serialize writes."""

    def string(text):
        return struct.pack("<H", len(text) + 1) + text.encode() + b"\0"

    type_ids = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.float16): 4}
    out = struct.pack("<I", version) + string("WhisperSpec") + struct.pack("<I", 3) + struct.pack("<I", len(variables))
    for name, array in variables.items():
        out += string(name) + struct.pack("<B", array.ndim) + struct.pack(f"<{array.ndim}I", *array.shape)
        out += struct.pack("<B", type_ids[array.dtype]) + struct.pack("<I", array.nbytes) + array.tobytes()
    out += struct.pack("<I", len(aliases))
    for alias, target in aliases.items():
        out += string(alias) + string(target)
    path.write_bytes(out)


def test_reader_handles_types_shapes_and_aliases(tmp_path):
    weight = np.arange(6, dtype=np.float16).reshape(2, 3)
    heads = np.array(6, dtype=np.int16)
    _write_model_bin(tmp_path / "model.bin", {"decoder/embeddings/weight": weight, "encoder/num_heads": heads}, {"decoder/projection/weight": "decoder/embeddings/weight"})
    variables = read_ct2_variables(tmp_path / "model.bin")
    assert np.array_equal(variables["decoder/embeddings/weight"], weight)
    assert int(variables["encoder/num_heads"]) == 6
    assert variables["decoder/projection/weight"] is variables["decoder/embeddings/weight"]


def test_reader_rejects_an_unknown_binary_version(tmp_path):
    _write_model_bin(tmp_path / "model.bin", {}, {}, version=99)
    with pytest.raises(ModelNotAvailableError, match="binary version 99"):
        read_ct2_variables(tmp_path / "model.bin")


def test_convert_rejects_a_folder_without_weights(tmp_path):
    with pytest.raises(ModelNotAvailableError, match="no model.bin"):
        convert(tmp_path, tmp_path / "x.pt")


def test_converted_encoder_matches_ctranslate2(tmp_path):
    """The converted PyTorch encoder computes what the CTranslate2 encoder computes."""
    import ctranslate2
    import whisper

    folder = resolve_ct2("tiny.en").location
    model = load_checkpoint(convert(Path(folder), tmp_path / "tiny.en.pt"))
    assert model.dims.n_audio_layer == 4 and model.dims.n_vocab == 51864
    assert model.alignment_heads.to_dense().sum() == 8  # from config.json, for word timestamps
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(16_000 * 5)).astype(np.float32)
    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio), model.dims.n_mels)
    with torch.no_grad():
        ours = model.encoder(mel[None]).numpy()
    reference = ctranslate2.models.Whisper(folder, device="cpu", compute_type="float32")
    theirs = np.array(reference.encode(ctranslate2.StorageView.from_array(mel[None].numpy())))
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 0.05
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > 0.9999
