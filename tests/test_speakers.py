"""Speaker separation: diarization, role labels, two customers, overrides, stereo calls, bad input."""

import json
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from research.attribution import ReferenceTurn, labelled_accuracy, mapped_accuracy, read_rttm, utterance_words
from research.cli import cli
from research.config import TranscribeSettings
from research.ingest import add_files
from research.speakers import infer_roles, run_speakers, utterances_from, SpokenWord
from research.transcribe.batch import TranscriptionBatch
from tests.audio_factory import write_audio
from tests.conftest import DEMO

TINY = TranscribeSettings(model="tiny.en")
TIMINGS = json.loads((DEMO / "timings.json").read_text())


def words_with(study, interview_id: int, field: str) -> list[tuple[float, float, str]]:
    return utterance_words(study.vault.raw_utterances(interview_id), field)


@pytest.mark.slow
def test_roles_are_right_for_at_least_95_percent_of_demo_words(demo_study):
    scores = {}
    for row in demo_study.db.query("SELECT id, code FROM interviews ORDER BY id"):
        interview = f"int-{row['id']:02d}"
        turns = [ReferenceTurn(t["start"], t["end"], t["speaker"]) for t in TIMINGS[interview]]
        scores[interview] = labelled_accuracy(words_with(demo_study, row["id"], "role"), turns)
    print("word role accuracy:", {k: round(v, 3) for k, v in scores.items()})
    assert min(scores.values()) >= 0.95, scores


@pytest.mark.slow
def test_two_customers_get_their_own_slots(demo_study):
    (couple,) = [row["id"] for row in demo_study.db.query("SELECT id FROM interviews WHERE title = 'Couple near a highway'")]
    roles = {u["role"] for u in demo_study.vault.raw_utterances(couple)}
    assert roles == {"interviewer", "customer", "customer_b"}
    daniel = [u["text"] for u in demo_study.vault.raw_utterances(couple) if u["role"] == "customer_b"]
    assert any("budget" in text for text in daniel)  # Daniel, the second customer in the sheet


@pytest.mark.slow
def test_utterances_split_at_speaker_changes_and_words_carry_speakers(demo_study):
    utterances = demo_study.vault.raw_utterances(1)
    assert len(utterances) >= 12
    for utterance in utterances:
        words = json.loads(utterance["words"])
        assert {w["speaker"] for w in words} == {utterance["speaker"]}
        assert utterance["start"] == words[0]["start"] and utterance["end"] == words[-1]["end"]
    assert all(a["speaker"] != b["speaker"] or b["start"] - a["end"] >= 2.0 for a, b in zip(utterances, utterances[1:]))
    # nothing raw reaches study.db
    dump = "\n".join(sqlite3.connect(demo_study.db_path).iterdump())
    assert "Brightwater" not in dump and utterances[1]["text"] not in dump


@pytest.mark.slow
def test_a_role_override_survives_a_re_run(demo_study):
    runner = CliRunner()
    study = ["--study", str(demo_study.root)]
    result = runner.invoke(cli, [*study, "role", "INT-002", "S1=customer", "S2=interviewer"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, [*study, "speakers", "--force", "--interview", "INT-002"]).exit_code == 0
    roles = {u["speaker"]: u["role"] for u in demo_study.vault.raw_utterances(2)}
    assert roles == {"S1": "customer", "S2": "interviewer"}
    assert runner.invoke(cli, [*study, "role", "INT-002", "S1=interviewer", "S2=customer"]).exit_code == 0
    bad = runner.invoke(cli, [*study, "role", "INT-002", "S7=customer"])
    assert bad.exit_code == 1 and "no speaker S7" in bad.output


@pytest.mark.slow
def test_unchanged_interviews_are_skipped(demo_study):
    assert run_speakers(demo_study) == {}


def test_role_inference_from_questions_order_and_talk_share():
    def said(speaker, start, text):
        words = [SpokenWord(start + i * 0.3, start + i * 0.3 + 0.25, " " + w, 0.9, speaker) for i, w in enumerate(text.split())]
        return words

    words = said("S1", 0, "How did you find us?") + said("S2", 3, "A friend told me about it and I looked at the website for a long while before buying") + said("S1", 12, "What happened next?") + said("S3", 15, "I approved the budget after a week of comparing prices")
    roles = infer_roles(utterances_from(words))
    assert roles == {"S1": "interviewer", "S2": "customer", "S3": "customer_b"}


@pytest.mark.slow
def test_bad_input_gets_a_note_not_a_crash(study, tmp_path):
    silent = write_audio(tmp_path / "silent.wav", np.zeros(16_000 * 4, np.float32))
    turns = [t for t in TIMINGS["int-01"] if t["speaker"] == "customer"][:3]  # three answers (37 s), none a question, as in all seven
    from research.audio import decode

    audio = decode(DEMO / "int-01.opus")
    monologue = write_audio(tmp_path / "monologue.wav", np.concatenate([audio[int(t["start"] * 16000) : int(t["end"] * 16000)] for t in turns]))
    short = write_audio(tmp_path / "short.wav", audio[int(turns[0]["start"] * 16000) : int(turns[0]["start"] * 16000) + 8000])
    add_files(study, [silent, monologue, short])
    TranscriptionBatch(study, TINY).run()
    results = run_speakers(study)
    assert "INT-001" not in results  # silent: never transcribed, nothing to separate
    assert "no voice asks questions" in results["INT-002"]
    assert not results["INT-003"].startswith("failed")
    status = CliRunner().invoke(cli, ["--study", str(study.root), "status"])
    assert "INT-002: no voice asks questions" in status.output


@pytest.mark.slow
def test_stereo_call_is_attributed_by_channel(study, shared_data):
    from research.transcribe.wer import word_error_rate

    add_files(study, [shared_data / "asr-faster-whisper-jfk" / "stereo_diarization.wav"])
    TranscriptionBatch(study, TINY).run()
    run_speakers(study)
    by_speaker = {}
    for u in study.vault.raw_utterances(1):
        by_speaker.setdefault(u["speaker"], []).append(u["text"])
    left = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
    right = "The horizon seems extremely distant."
    assert word_error_rate([left], [" ".join(by_speaker["S1"])]) < 0.1
    assert word_error_rate([right], [" ".join(by_speaker["S2"])]) < 0.1


@pytest.mark.slow
def test_real_two_speaker_phone_call(study, shared_data):
    folder = shared_data / "diarization-pyannote-sample"
    add_files(study, [folder / "sample.wav"])
    TranscriptionBatch(study, TranscribeSettings(model="base")).run()
    run_speakers(study, 2)
    accuracy = mapped_accuracy(words_with(study, 1, "speaker"), read_rttm(folder / "sample.rttm"))
    print(f"pyannote sample word attribution accuracy {accuracy:.3f}")
    assert accuracy >= 0.90


@pytest.mark.slow
def test_a_recording_with_one_voice_keeps_one_speaker(study, shared_data):
    from research.audio import decode
    from research.diarize import diarize

    add_files(study, [shared_data / "asr-faster-whisper-jfk" / "jfk.flac"])  # one speaker, 11 s; no sheet
    TranscriptionBatch(study, TINY).run()
    run_speakers(study)  # "meta": an interviewer and one participant assumed
    utterances = study.vault.raw_utterances(1)
    assert utterances and {u["speaker"] for u in utterances} == {"S1"}
    phone = decode(shared_data / "diarization-pyannote-sample" / "sample.wav")
    assert diarize(phone, 2, 2).speakers == 2  # two real voices, as alike as a phone line makes them, stay two


@pytest.mark.slow
def test_stereo_call_recording_from_the_demo_is_split_by_channel(study, tmp_path):
    """One party per channel, as a phone-call recorder writes it: no clustering, roles from the talk."""
    from research.audio import decode

    timings = TIMINGS["int-06"][:6]  # three questions and their answers (43 s of the 97)
    audio = decode(DEMO / "int-06.opus")[: int((timings[-1]["end"] + 0.5) * 16000)]
    left, right = np.zeros_like(audio), np.zeros_like(audio)
    for turn in timings:
        span = slice(int(turn["start"] * 16000), int(turn["end"] * 16000))
        (left if turn["speaker"] == "interviewer" else right)[span] = audio[span]
    call = write_audio(tmp_path / "call.wav", np.stack([left, right]))
    add_files(study, [call])
    TranscriptionBatch(study, TINY).run()
    assert study.vault.channels(1) == [0, 1]
    run_speakers(study)
    turns = [ReferenceTurn(t["start"], t["end"], t["speaker"]) for t in timings]
    assert labelled_accuracy(words_with(study, 1, "role"), turns) >= 0.98
    assert {u["speaker"]: u["role"] for u in study.vault.raw_utterances(1)} == {"S1": "interviewer", "S2": "customer"}


def test_der_counts_missed_false_alarm_and_confused_speech():
    from research.der import diarization_error

    ref = [ReferenceTurn(0, 10, "A"), ReferenceTurn(10, 20, "B"), ReferenceTurn(15, 20, "C")]
    assert diarization_error(ref, [ReferenceTurn(t.start, t.end, t.label.lower()) for t in ref], (0, 30), collar=0).rate == 0
    hyp = [ReferenceTurn(0, 8, "x"), ReferenceTurn(8, 12, "y"), ReferenceTurn(12, 20, "y"), ReferenceTurn(22, 25, "x")]
    error = diarization_error(ref, hyp, (0, 30), collar=0)
    # x=A, y=B: A's 8-10 confused, C's 15-20 missed (overlap), 22-25 false alarm; 25 s of reference speech
    assert (round(error.confusion, 2), round(error.missed, 2), round(error.false_alarm, 2), round(error.reference, 2)) == (2.0, 5.0, 3.0, 25.0)
    assert round(error.rate, 3) == 0.4
    # a 0.25 s collar around the boundaries at 0, 10, 15 and 20 s takes out A 0-0.25 and 9.75-10,
    # B 10-10.25, 14.75-15.25 and 19.75-20, C 15-15.25 and 19.75-20 (2 s of speech)
    collared = diarization_error(ref, hyp, (0, 30), collar=0.25)
    assert round(collared.reference, 2) == 23.0
    assert diarization_error(ref, hyp, (21, 30), collar=0).reference == 0  # the UEM bounds what is scored


def test_der_splits_into_overlapped_and_single_speaker_speech():
    from research.der import diarization_error, errors_by_overlap

    ref = [ReferenceTurn(0, 10, "A"), ReferenceTurn(10, 20, "B"), ReferenceTurn(15, 20, "C")]
    hyp = [ReferenceTurn(0, 8, "x"), ReferenceTurn(8, 12, "y"), ReferenceTurn(12, 20, "y"), ReferenceTurn(22, 25, "x")]
    parts = errors_by_overlap(ref, hyp, (0, 30), collar=0)
    # B and C overlap over 15-20 (10 s of reference speech), where C is missed; the rest holds A's confusion and the false alarm
    overlap, single = parts["overlap"], parts["single"]
    assert (round(overlap.reference, 2), round(overlap.missed, 2), round(overlap.confusion, 2), round(overlap.false_alarm, 2)) == (10.0, 5.0, 0.0, 0.0)
    assert (round(single.reference, 2), round(single.missed, 2), round(single.confusion, 2), round(single.false_alarm, 2)) == (15.0, 0.0, 2.0, 3.0)
    whole = diarization_error(ref, hyp, (0, 30), collar=0)
    assert round(overlap.missed + single.missed + overlap.confusion + single.confusion + single.false_alarm, 2) == round(whole.missed + whole.confusion + whole.false_alarm, 2)


def test_kaldi_filterbanks_put_a_tone_in_its_mel_band():
    import torch

    from research.fbank import fbank

    seconds = np.arange(16_000) / 16_000
    features = fbank(torch.from_numpy(np.sin(2 * np.pi * 1000 * seconds).astype(np.float32))[None])
    assert features.shape == (1, 1 + (16_000 - 400) // 160, 80)
    mel = lambda hz: 1127 * np.log(1 + hz / 700)  # noqa: E731
    centres = mel(20) + (np.arange(1, 81)) * (mel(8000) - mel(20)) / 81
    assert int(features[0].mean(dim=0).argmax()) == int(np.argmin(np.abs(centres - mel(1000))))


@pytest.mark.slow
def test_real_call_diarization_is_deterministic_and_overlap_aware(shared_data, monkeypatch):
    from research import diarize as diarize_module
    from research.audio import decode
    from research.der import diarization_error
    from research.diarize import diarize

    folder = shared_data / "diarization-pyannote-sample"
    audio = decode(folder / "sample.wav")
    first, second = diarize(audio, 2, 2), diarize(audio, 2, 2)
    monkeypatch.setattr(diarize_module, "MAX_WORKERS", 1)
    alone = diarize(audio, 2, 2)  # one thread instead of the machine's cores: the same answer
    assert first.method == "campplus" and first.speakers == 2
    for other in (second, alone):
        assert np.array_equal(first.activity, other.activity) and np.array_equal(first.voices, other.voices)
    hypothesis = [ReferenceTurn(a, b, str(s)) for a, b, s in first.turns()]
    error = diarization_error(read_rttm(folder / "sample.rttm"), hypothesis, (0.0, len(audio) / 16_000))
    print(f"pyannote sample DER {error.rate:.3f}")
    assert error.rate < 0.15
    assert first.activity.sum(axis=1).max() == 2  # the callers talk over each other in places


@pytest.mark.slow
def test_the_enrolled_interviewer_is_recognised_in_another_interview(study, tmp_path):
    from research.diarize import diarize
    from research.enrolment import enrol, recognise_interviewer
    from tests.audio_factory import speech_clip

    # each interview's first three questions and answers (59 s and 47 s of 123 and 101): the same voices, less to transcribe
    clips = {name: speech_clip(DEMO / f"{name}.opus", TIMINGS[name][5]["end"] + 0.5) for name in ("int-01", "int-03")}
    add_files(study, [write_audio(tmp_path / f"{name}.wav", audio) for name, audio in clips.items()])
    TranscriptionBatch(study, TINY).run()
    run_speakers(study)
    interviewer = next(u["speaker"] for u in study.vault.raw_utterances(1) if u["role"] == "interviewer")
    assert "from INT-001" in enrol(study, f"INT-001:{interviewer}")
    (row,) = study.db["voiceprints"].rows
    assert len(row["embedding"]) == 192 * 4 and row["source"] == f"INT-001:{interviewer}"  # an embedding, no audio
    assert set(run_speakers(study)) == {"INT-001", "INT-002"}  # a new enrolment re-labels every interview
    recognised = recognise_interviewer(study, diarize(clips["int-03"], 2, 2))
    assert recognised is not None  # the same researcher's voice, found in another recording
    turns = [ReferenceTurn(t["start"], t["end"], t["speaker"]) for t in TIMINGS["int-03"][:6]]
    assert labelled_accuracy(words_with(study, 2, "role"), turns) >= 0.95
    runner = CliRunner()
    bad = runner.invoke(cli, ["--study", str(study.root), "speakers", "--enrol", "INT-001:S9"])
    assert bad.exit_code == 1 and "no speaker S9" in bad.output
    bad = runner.invoke(cli, ["--study", str(study.root), "speakers", "--enrol", "nonsense"])
    assert bad.exit_code == 1 and "CODE:SPEAKER" in bad.output


def test_diarizing_holds_torch_and_numpys_thread_pools_to_one_thread_and_restores_them():
    from threadpoolctl import threadpool_info

    from research.diarize import one_thread

    with one_thread():  # a first diarization, before the libraries below load their own pools
        pass
    import ctranslate2  # noqa: F401 - transcription's OpenMP, loaded later in a real process
    import sklearn.linear_model  # noqa: F401 - coding's
    import torch

    def pools() -> dict[str, int]:
        return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}

    before, threads = pools(), torch.get_num_threads()
    with one_thread():
        assert set(pools().values()) == {1} and torch.get_num_threads() == 1
    after = pools()
    assert {path: after[path] for path in before} == before and torch.get_num_threads() == threads


@pytest.mark.slow
def test_a_voice_the_segmentation_took_for_another_is_split_off_again():
    """INT-005 opens with the interviewer, then the customer, and segmentation's first chunk hears one local speaker in both."""
    import torch

    from research.audio import decode
    from research.der import diarization_error
    from research.diarize import diarize

    audio = decode(DEMO / "int-05.opus")
    threads = torch.get_num_threads()
    found = diarize(audio, 2, 2)
    assert torch.get_num_threads() == threads  # one thread while diarizing, the caller's setting after
    opening, answer = found.speaker_of(0.6, 5.2), found.speaker_of(6.0, 14.1)
    assert opening is not None and opening != answer
    turns = [ReferenceTurn(t["start"], t["end"], t["speaker"]) for t in TIMINGS["int-05"]]
    hypothesis = [ReferenceTurn(a, b, str(s)) for a, b, s in found.turns()]
    error = diarization_error(turns, hypothesis, (0.0, len(audio) / 16_000))
    assert error.confusion / error.reference < 0.02  # (the reference turns include their pauses, so missed speech is no measure)


@pytest.mark.slow
def test_long_silence_changes_nothing_about_who_speaks(shared_data):
    """CAM++ hears only the speech: a minute of silence spliced into a call shifts the turns and nothing else."""
    from research.audio import decode
    from research.der import diarization_error
    from research.diarize import diarize

    folder = shared_data / "diarization-pyannote-sample"
    audio = decode(folder / "sample.wav")
    cut, gap = 21.6, 60.0  # in the pause between two turns
    spliced = np.concatenate([audio[: int(cut * 16_000)], np.zeros(int(gap * 16_000), np.float32), audio[int(cut * 16_000) :]])
    found = diarize(spliced, 2, 2)
    assert found.speakers == 2 and not found.activity[int((cut + 0.5) / found.step) : int((cut + gap - 0.5) / found.step)].any()
    later = lambda t: t + gap if t > cut else t  # noqa: E731
    shifted = [ReferenceTurn(later(t.start), later(t.end), t.label) for t in read_rttm(folder / "sample.rttm")]
    hypothesis = [ReferenceTurn(a, b, str(s)) for a, b, s in found.turns()]
    assert diarization_error(shifted, hypothesis, (0.0, len(spliced) / 16_000)).rate < 0.15


def test_a_cluster_is_a_speaker_by_its_seconds_of_speech_not_its_count_of_embeddings():
    from research.diarize import MIN_CLUSTER_SECONDS, cluster

    rng = np.random.default_rng(0)
    a, b = np.eye(192)[0], np.eye(192)[1]
    embeddings = np.stack([a + 0.01 * rng.standard_normal(192) for _ in range(6)] + [b + 0.01 * rng.standard_normal(192) for _ in range(6)])
    long_enough = np.full(12, MIN_CLUSTER_SECONDS / 3)
    assert len(set(cluster(embeddings, 1, 6, long_enough))) == 2
    brief = long_enough.copy()
    brief[6:] = MIN_CLUSTER_SECONDS / 12  # six embeddings of the second voice, half the speech a speaker needs
    assert set(cluster(embeddings, 1, 6, brief)) == {0}
    assert len(set(cluster(embeddings, 2, 2, brief))) == 2  # the caller's count still rules


def test_frozen_campplus_hears_what_the_model_hears():
    import torch

    from research.audio import decode
    from research.fbank import fbank
    from research.voice_models import embedding_frames, embedding_model

    audio = decode(DEMO / "int-01.opus")
    model = embedding_model()
    for seconds in (10.0, 3.7):  # a full block and the last one, as long as the speech left
        features = fbank(torch.from_numpy(audio[16_000 : 16_000 + int(seconds * 16_000)].copy())[None])
        features = features - features.mean(dim=1, keepdim=True)
        with torch.inference_mode():
            expected = model.head(features.permute(0, 2, 1))
            for name, layer in model.xvector.named_children():
                if name == "stats":
                    break
                expected = layer(expected)
            frozen = embedding_frames()(features)
        assert frozen.shape == expected.shape == (1, 512, features.shape[1] // 2)
        assert torch.allclose(frozen, expected, atol=1e-3)


def test_onnx_runtime_hears_what_the_torch_models_hear(model_cache):
    import torch

    from research.audio import decode
    from research.fbank import fbank
    from research.voice_models import embedding_frames, frames_runner, segmentation_model, segmentation_runner

    audio = decode(DEMO / "int-01.opus")
    chunks = audio[: 3 * 160_000].reshape(3, 160_000)
    with torch.inference_mode():
        expected = segmentation_model()(torch.from_numpy(chunks[:, None].copy())).numpy()
        assert np.allclose(segmentation_runner("float")(chunks), expected, atol=1e-3)
        for seconds in (10.0, 3.7):  # a full speech block and a shorter last one
            features = fbank(torch.from_numpy(audio[16_000 : 16_000 + int(seconds * 16_000)].copy())[None])
            features = features - features.mean(dim=1, keepdim=True)
            ours = frames_runner("float")(features.numpy())
            assert ours.shape == (1, 512, features.shape[1] // 2)
            assert np.allclose(ours, embedding_frames()(features).numpy(), atol=1e-3)
    exported = {path.name.rsplit("-", 1)[0] for path in (model_cache / "speakers").glob("*.onnx")}
    assert {"segmentation", "campplus-frames"} <= exported  # exported once, kept in the model cache


def _campplus_inputs(audio: np.ndarray, seconds: tuple[float, ...]) -> list[np.ndarray]:
    import torch

    from research.fbank import fbank

    inputs = []
    for start in seconds:
        features = fbank(torch.from_numpy(audio[int(start * 16_000) : int((start + 10) * 16_000)].copy())[None])
        inputs.append((features - features.mean(dim=1, keepdim=True)).numpy())
    return inputs


def test_int8_models_hear_what_the_float_models_hear(model_cache):
    import torch

    from research.audio import decode
    from research.voice_models import embedding_model, frames_runner, segmentation_runner

    audio = decode(DEMO / "int-02.opus")  # an interview the quantizer did not calibrate on
    chunks = audio[: 4 * 160_000].reshape(4, 160_000)
    same_class = segmentation_runner("int8")(chunks).argmax(axis=-1) == segmentation_runner("float")(chunks).argmax(axis=-1)
    assert same_class.mean() >= 0.98
    dense = dict(embedding_model().xvector.named_children())["dense"]

    def voice(frames: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            vector = dense(torch.from_numpy(np.concatenate([frames.mean(axis=-1), frames.std(axis=-1, ddof=1)], axis=1))).numpy()[0]
        return vector / np.linalg.norm(vector)

    for features in _campplus_inputs(audio, (5.0, 35.0, 65.0)):
        assert voice(frames_runner("int8")(features)) @ voice(frames_runner("float")(features)) >= 0.95
    quantized = {path.name.rsplit("-", 1)[0] for path in (model_cache / "speakers").glob("*-int8-*.onnx")}
    assert quantized == {"segmentation-int8", "campplus-frames-int8"}  # derived once, kept beside the float exports


def test_without_calibration_audio_the_float_model_runs(model_cache, tmp_path, monkeypatch):
    import shutil

    from research import demo_corpus, voice_models
    from research.audio import decode

    features = _campplus_inputs(decode(DEMO / "int-01.opus"), (5.0,))[0]
    expected = voice_models.frames_runner("float")(features)
    cache = tmp_path / "models" / "speakers"
    cache.mkdir(parents=True)
    for path in (model_cache / "speakers").glob("campplus-frames-*.onnx"):
        if "-int8-" not in path.name:
            shutil.copy(path, cache)
    monkeypatch.setenv("RESEARCH_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(demo_corpus, "DEMO_DIR", tmp_path / "installed-without-the-demo")
    voice_models._frames_runner.cache_clear()
    try:
        assert np.array_equal(voice_models.frames_runner("int8")(features), expected)
    finally:
        voice_models._frames_runner.cache_clear()
    assert not list(cache.glob("*-int8-*"))


def test_ge2e_windows_read_one_shared_spectrogram_as_their_own():
    from resemblyzer.audio import wav_to_mel_spectrogram

    from research.audio import decode
    from research.diarize_ge2e import MEL_STRETCH, _window_mels, speech_regions, windows_for

    audio = decode(DEMO / "int-01.opus")[: int((MEL_STRETCH + 20) * 16_000)]  # windows in more than one stretch
    windows = windows_for(speech_regions(audio), len(audio) / 16_000)
    assert windows[-1][1] > MEL_STRETCH + 1
    for (a, b), shared in zip(windows, _window_mels(audio, windows)):
        own = wav_to_mel_spectrogram(audio[int(a * 16_000) : int(b * 16_000)])
        assert len(shared) == len(own)
        inner = slice(2, len(own) - 2)  # the edge frames see the neighbouring audio instead of padding
        assert np.allclose(shared[inner], own[inner], rtol=1e-3, atol=1e-4 * own.max())


@pytest.mark.slow
def test_the_pipeline_decodes_a_recording_once_for_transcription_and_speakers(study, shared_data, monkeypatch):
    from research import audio
    from research.cli import _run_pipeline

    decoded = []
    real = audio._decoded
    monkeypatch.setattr(audio, "_decoded", lambda path, layout: decoded.append((path.name, layout)) or real(path, layout))  # counts, then decodes
    add_files(study, [shared_data / "asr-faster-whisper-jfk" / "jfk.flac"])
    assert not _run_pipeline(study, TINY, through="speakers")
    assert ("jfk.flac", "mono") in decoded and len(decoded) == len(set(decoded))  # transcription decoded it; the speakers stage read it back
    assert study.vault.raw_utterances(1)
    assert not (study.vault_dir / "decoded").exists()  # the samples kept for the speakers stage are gone


def test_a_frames_voice_count_follows_the_silence_and_overlap_shares(monkeypatch):
    from research import diarize as diarize_module
    from research.voice_models import POWERSET

    # one chunk of 589 frames: no voice 0.45, local speaker 0 alone 0.35, speakers 0 and 1 together 0.2
    classes = np.zeros((1, 589, len(POWERSET)))
    classes[..., POWERSET.index(())] = 0.45
    classes[..., POWERSET.index((0,))] = 0.35
    classes[..., POWERSET.index((0, 1))] = 0.2
    clusters = np.tile(np.array([0, 1, -1]), (1, 589, 1))

    def voices_per_frame() -> set[int]:
        activity = diarize_module._reconstruct(np.zeros(1), classes, clusters, 2, 589)
        return set(activity.sum(axis=1).tolist())

    assert voices_per_frame() == {1}  # some voice likelier than none; one likelier than two
    monkeypatch.setattr(diarize_module, "OVERLAP_SHARE", 0.3)
    assert voices_per_frame() == {2}  # two voices' share, 0.2 of 0.55, is above 0.3
    monkeypatch.setattr(diarize_module, "SILENCE_SHARE", 0.4)
    assert voices_per_frame() == {0}  # no voice at 0.45 is past 0.4


def test_a_speaker_heard_only_over_another_becomes_a_voice_while_the_count_allows():
    from research.diarize import FRAME_STEP, MIN_TOGETHER_SECONDS, Heard, Voices, _simultaneous_voices
    from research.voice_models import POWERSET

    frames = 589
    over = int(np.ceil(MIN_TOGETHER_SECONDS / FRAME_STEP)) + 10
    voice_of = np.eye(192, dtype=np.float32)[:3]  # three unrelated voices

    def heard(second_speaks_over_the_first: bool) -> Heard:
        classes = np.zeros((1, frames, len(POWERSET)))
        classes[0, :100, POWERSET.index((0,))] = 1
        classes[0, 100 : 100 + over, POWERSET.index((0, 1) if second_speaks_over_the_first else (1,))] = 1
        classes[0, 100 + over :, POWERSET.index(())] = 1
        voices = Voices(voice_of[None], np.array([[100.0, 50.0, 0.0]]), np.zeros((0, 192)), np.zeros((0, 2), dtype=int), np.full((1, frames, 3), -1))
        return Heard(np.zeros(1), classes, voices, frames)

    valid = np.array([[True, True, False]])
    assigned, voices = _simultaneous_voices(heard(True), valid, np.array([[0, -1, -1]]), voice_of[:1], 6)
    assert assigned.tolist() == [[0, 1, -1]] and np.array_equal(voices, voice_of[:2])
    assigned, voices = _simultaneous_voices(heard(True), valid, np.array([[0, -1, -1]]), voice_of[:1], 1)  # the count is full
    assert assigned.tolist() == [[0, -1, -1]] and len(voices) == 1
    assigned, voices = _simultaneous_voices(heard(False), valid, np.array([[0, -1, -1]]), voice_of[:1], 6)  # one after the other: no evidence of two people
    assert assigned.tolist() == [[0, -1, -1]] and len(voices) == 1


def test_the_real_call_gets_both_voices_when_the_count_is_left_open(shared_data):
    from research.audio import decode
    from research.der import diarization_error
    from research.diarize import diarize

    folder = shared_data / "diarization-pyannote-sample"
    audio = decode(folder / "sample.wav")
    found = diarize(audio, 1, 6)  # one voice, DER 0.464, before a caller heard over the other became a voice of their own
    hypothesis = [ReferenceTurn(a, b, str(s)) for a, b, s in found.turns()]
    error = diarization_error(read_rttm(folder / "sample.rttm"), hypothesis, (0.0, len(audio) / 16_000))
    assert found.speakers == 2 and error.rate < 0.25
