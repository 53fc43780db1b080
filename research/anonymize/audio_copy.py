"""Redacted copies of recordings, made by a worker process beside the text work.

Decoding and encoding an hour of audio is about 8 s of CPU, and PII detection holds the
GIL, so a thread gains nothing. One worker serves a whole stage run: it decodes a recording
while its text is checked, then bleeps the spans it is sent and encodes the copy.

The worker is a fresh interpreter (`python -m research.anonymize.audio_copy`) that reads
pickled messages on its stdin and answers on its stdout: forking a process that holds spaCy,
torch and their threads is unsafe, and multiprocessing's spawn would re-run the caller's main
script.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from research.audio import decode, redact, write_opus
from research.errors import AudioError, DiskFullError, ResearchError
from research.faults import is_disk_full

DISK_FULL = "disk full: "  # how the worker's reply says so
STOP_TIMEOUT = 10.0  # seconds to wait for the worker to exit before it is terminated


class AudioCopier:
    """`with AudioCopier() as copier:`, then per recording `with copier.copy(source, target, mode) as copy:`
    ... `copy.write(spans)`."""

    def __init__(self) -> None:
        self._channel: Channel | None = None
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> AudioCopier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def copy(self, source: Path, target: Path, mode: str) -> Iterator[PendingCopy]:
        """Starts decoding `source`; `write(spans)` inside the block hands over the spans, and
        leaving the block waits for the copy (a failure is one line naming the target's stem, the
        interview code)."""
        pending = PendingCopy(self._worker(), target, mode)
        pending.send(source)
        failed = True
        try:
            yield pending
            failed = False
        finally:
            if not pending.sent_spans:
                pending.send(None)  # the text work failed: the worker drops the audio
            reason = pending.reply()
            if reason and not failed:
                raise (DiskFullError if reason.startswith(DISK_FULL) else ResearchError)(f"{target.stem}: {reason}")

    def close(self) -> None:
        if self._process is None:
            return
        try:
            self._channel.send(None)
            self._process.stdin.close()
        except OSError:
            pass
        try:
            self._process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process.stdout.close()
        self._process = self._channel = None

    def _worker(self) -> Channel:
        if self._process is None or self._process.poll() is not None:
            # Its own process group: Ctrl-C is the stage's to handle, and the worker ends when its stdin does.
            # No stderr: a library's message would draw over the review app, or print a source's path.
            detached = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt" else {"start_new_session": True}
            command = [sys.executable, "-m", __name__]
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **detached)
            self._channel = Channel(self._process.stdout, self._process.stdin)
        return self._channel


class Channel:
    """Pickled messages over a pair of pipes."""

    def __init__(self, incoming: BinaryIO, outgoing: BinaryIO) -> None:
        self.incoming, self.outgoing = incoming, outgoing

    def send(self, message) -> None:
        pickle.dump(message, self.outgoing)
        self.outgoing.flush()

    def recv(self):
        return pickle.load(self.incoming)


class PendingCopy:
    def __init__(self, channel: Channel, target: Path, mode: str) -> None:
        self._channel = channel
        self.target = target
        self.mode = mode
        self.sent_spans = False

    def write(self, spans: list[tuple[float, float]]) -> None:
        """Hands over the spans to bleep (or silence); the worker encodes while the caller goes on."""
        self.sent_spans = True
        self.send((spans, self.target, self.mode))

    def send(self, message) -> None:
        try:
            self._channel.send(message)
        except OSError:
            raise self._stopped() from None

    def reply(self) -> str | None:
        try:
            return self._channel.recv()
        except (EOFError, OSError, pickle.UnpicklingError):
            raise self._stopped() from None

    def _stopped(self) -> ResearchError:
        return ResearchError(f"{self.target.stem}: the audio worker stopped before the redacted copy was written")


def _serve(channel: Channel) -> None:
    """The worker loop: a source path, then (spans, target, mode) or None to drop it; None ends it.
    Each reply is None or why the copy failed, without the file's name (it may name a person)."""
    while (source := channel.recv()) is not None:
        audio, reason = None, None
        try:
            audio = decode(source)
        except AudioError as error:
            reason = error.reason
        except Exception as error:  # noqa: BLE001 - a traceback would print the source's path
            reason = f"could not decode audio ({type(error).__name__})"
        job = channel.recv()
        if job is not None and reason is None:
            spans, target, mode = job
            try:
                write_opus(redact(audio, spans, mode), target)
            except (OSError, ValueError) as error:
                reason = (DISK_FULL if is_disk_full(error) else "") + f"the redacted copy could not be written ({getattr(error, 'strerror', None) or error})"
        channel.send(reason if job is not None else None)


def _main() -> None:
    """The worker's entry: its stdout carries the replies, so anything a library prints goes to
    stderr (nowhere)."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _serve(Channel(sys.stdin.buffer, replies))
    except EOFError:  # the stage ended without saying so (interrupted): nothing left to do
        pass


if __name__ == "__main__":
    _main()
