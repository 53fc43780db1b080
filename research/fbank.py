"""Kaldi-style log mel filterbanks (what CAM++ was trained on), in torch, without torchaudio.

The defaults of `torchaudio.compliance.kaldi.fbank` as 3D-Speaker calls it: 25 ms frames
every 10 ms (edges snipped), DC removed, pre-emphasis 0.97, Povey window, 512-point
power spectrum, 80 triangular bands on Kaldi's mel scale from 20 Hz to Nyquist, natural
log floored at float32 epsilon, no dither.
"""

from __future__ import annotations

from functools import cache

import torch

SAMPLE_RATE = 16_000
FRAME = 400
SHIFT = 160
FFT = 512
BANDS = 80
LOW_HZ = 20.0


def _mel(hz: torch.Tensor) -> torch.Tensor:
    return 1127.0 * torch.log(1.0 + hz / 700.0)


@cache
def _mel_banks() -> torch.Tensor:
    """(BANDS, FFT // 2 + 1) triangular weights; the Nyquist bin gets none, as in Kaldi."""
    low, high = _mel(torch.tensor(LOW_HZ)), _mel(torch.tensor(SAMPLE_RATE / 2))
    delta = (high - low) / (BANDS + 1)
    left = low + torch.arange(BANDS) * delta
    centre, right = left + delta, left + 2 * delta
    bins = _mel(torch.arange(FFT // 2) * SAMPLE_RATE / FFT)[None, :]
    up = (bins - left[:, None]) / (centre - left)[:, None]
    down = (right[:, None] - bins) / (right - centre)[:, None]
    weights = torch.clamp(torch.minimum(up, down), min=0.0)
    return torch.nn.functional.pad(weights, (0, 1))


@cache
def _window() -> torch.Tensor:
    return torch.hann_window(FRAME, periodic=False, dtype=torch.float64).pow(0.85).float()


def fbank(waveforms: torch.Tensor) -> torch.Tensor:
    """(batch, samples) at 16 kHz -> (batch, frames, 80) log mel energies."""
    frames = waveforms.unfold(-1, FRAME, SHIFT)
    frames = frames - frames.mean(dim=-1, keepdim=True)
    previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
    frames = (frames - 0.97 * previous) * _window()
    power = torch.fft.rfft(frames, n=FFT).abs().pow(2)
    energies = power @ _mel_banks().T
    return torch.clamp(energies, min=torch.finfo(torch.float32).eps).log()
