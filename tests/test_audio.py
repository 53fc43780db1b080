"""Decoding: the samples faster-whisper's own decoder gives, which transcription was tuned on."""

import numpy as np
import pytest
from faster_whisper.audio import decode_audio

from research.audio import decode
from research.errors import AudioError
from tests.conftest import DEMO


@pytest.mark.parametrize("relative", ["asr-faster-whisper-jfk/stereo_diarization.wav", "diarization-ami-train/trn01.flac"])
def test_decoded_samples_are_faster_whispers(shared_data, relative):
    path = shared_data / relative
    mono = decode(path)
    assert mono.dtype == np.float32 and np.array_equal(mono, decode_audio(str(path)))
    left, right = decode_audio(str(path), split_stereo=True)
    assert np.array_equal(decode(path, split_stereo=True), np.stack([left, right]))


def test_an_opus_interview_decodes_to_faster_whispers_samples():
    path = DEMO / "int-02.opus"
    assert np.array_equal(decode(path), decode_audio(str(path)))


def test_a_file_that_is_not_audio_is_one_clear_error(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    with pytest.raises(AudioError, match="notes.wav"):
        decode(path)


def test_inside_shared_decodes_a_file_is_decoded_once_and_read_back(tmp_path):
    import shutil

    from research.audio import shared_decodes

    recording = tmp_path / "int-02.opus"
    shutil.copy(DEMO / "int-02.opus", recording)
    folder = tmp_path / "vault" / "decoded"
    with shared_decodes(folder):
        first = decode(recording)
        assert np.array_equal(first, decode_audio(str(recording)))
        [kept] = folder.iterdir()
        assert (folder.stat().st_mode & 0o777) == 0o700
        np.save(kept, np.zeros(5, dtype=np.int16))  # what a later stage gets is what the first decode kept
        assert np.array_equal(decode(recording), np.zeros(5, dtype=np.float32))
        shutil.copy(DEMO / "int-03.opus", recording)  # another file at the same path is decoded afresh
        assert np.array_equal(decode(recording), decode_audio(str(recording)))
    assert not folder.exists()
    assert np.array_equal(decode(recording), decode_audio(str(recording)))
