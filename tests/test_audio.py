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
