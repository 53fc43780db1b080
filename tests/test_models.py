"""Model resolution: packaged, cached, path, and the engines' own download (stopped at the network)."""

from pathlib import Path

import pytest

from research.errors import ModelNotAvailableError
from research.transcribe import models
from research.transcribe.models import openai_cache_file, resolve_ct2, resolve_openai


def test_packaged_tiny_en_resolves_offline():
    resolved = resolve_ct2("tiny.en")
    assert resolved.source == "packaged"
    assert (Path(resolved.location) / "model.bin").is_file()


def test_packaged_base_is_joined_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RESEARCH_MODELS", str(tmp_path))  # an empty cache of its own: the run's has base joined already
    first = resolve_ct2("base")
    assert Path(first.location) == tmp_path / "ct2" / "base"
    assert first.source == "packaged"
    model_bin = Path(first.location) / "model.bin"
    assert model_bin.stat().st_size > 140_000_000
    mtime = model_bin.stat().st_mtime_ns
    assert resolve_ct2("base").location == first.location
    assert model_bin.stat().st_mtime_ns == mtime  # not rewritten


def test_a_path_is_used_as_given(tmp_path):
    folder = Path(resolve_ct2("tiny.en").location)
    assert resolve_ct2(str(folder)).source == "path"
    with pytest.raises(ModelNotAvailableError, match="needs model.bin"):
        resolve_ct2(str(tmp_path))
    with pytest.raises(ModelNotAvailableError, match="checkpoint file not found"):
        resolve_openai(str(tmp_path / "missing.pt"))


def test_unknown_names_are_rejected():
    with pytest.raises(ModelNotAvailableError, match="unknown model 'gigantic'"):
        resolve_ct2("gigantic")
    with pytest.raises(ModelNotAvailableError, match="unknown model 'gigantic'"):
        resolve_openai("gigantic")


def test_offline_a_missing_model_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailableError, match="not installed and downloads are off"):
        resolve_ct2("large-v3")
    with pytest.raises(ModelNotAvailableError, match="not installed and downloads are off"):
        resolve_openai("large-v3")


def test_a_local_ct2_cache_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("RESEARCH_MODELS", str(tmp_path))  # its own cache: a fake small.en left in the shared one failed every later run
    cached = tmp_path / "ct2" / "small.en"
    cached.mkdir(parents=True)
    (cached / "model.bin").write_bytes(b"x")
    resolved = resolve_ct2("small.en")
    assert resolved.source == "cache" and resolved.location == str(cached)


def test_faster_whisper_download_goes_to_the_hub_repo(monkeypatch):
    """With a network allowed, a missing model is fetched by faster-whisper from its hub repo."""
    import faster_whisper.utils

    from research.transcribe.faster_whisper_engine import FasterWhisperEngine

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    calls = []

    def fake_snapshot_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs.get("local_files_only")))
        if kwargs.get("local_files_only"):
            raise FileNotFoundError("not cached")
        raise OSError("network is unreachable")

    monkeypatch.setattr(faster_whisper.utils.huggingface_hub, "snapshot_download", fake_snapshot_download)
    assert resolve_ct2("small").source == "download"
    with pytest.raises(ModelNotAvailableError, match=r"'small' is not installed and could not be downloaded \(network is unreachable\); installed for offline use: tiny.en, base"):
        FasterWhisperEngine("small")  # not "Got: ConnectError: ...", which a user offline met with `--model tiny`
    assert ("Systran/faster-whisper-small", False) in calls


def test_openai_whisper_download_goes_to_its_url(monkeypatch):
    import whisper

    from research.transcribe.openai_whisper_engine import OpenAIWhisperEngine

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    urls = []

    def fake_download(url, root, in_memory):
        urls.append(url)
        raise OSError("network is unreachable")

    monkeypatch.setattr(whisper, "_download", fake_download)
    assert resolve_openai("small").source == "download"
    with pytest.raises(ModelNotAvailableError, match=r"'small' is not installed and could not be downloaded \(network is unreachable\); installed for offline use"):
        OpenAIWhisperEngine("small")
    assert urls == [whisper._MODELS["small"]]


def test_openai_checkpoint_is_converted_from_packaged_weights_once(tmp_path, monkeypatch):
    monkeypatch.setenv("RESEARCH_MODELS", str(tmp_path))  # an empty cache of its own, never one another worker reads
    first = resolve_openai("tiny.en")
    assert first.source == "converted"
    assert Path(first.location) == openai_cache_file("tiny.en")
    assert resolve_openai("tiny.en").source == "cache"


def test_model_availability_lists_packaged_models():
    table = {name: (ct2, openai) for name, ct2, openai in models.model_availability()}
    assert table["tiny.en"][0] == "packaged" and table["base"][0] == "packaged"
    assert table["large-v3"] == ("download", "download")
