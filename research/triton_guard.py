"""Keep triton, a CUDA kernel compiler, out of processes that cannot use it.

openai-whisper depends on triton on Linux, so pip installs it beside a CPU-only torch too.
transformers (under Presidio and sentence-transformers) imports torch._dynamo, which imports
triton whenever the package is there; triton's nanobind bindings then print about 30 lines of
"leaked instances" at exit. Nothing here needs it: torch on CPU has no use for it, and the only
user is openai-whisper's word-timing kernels on a GPU, which call `allow_triton()` first.
"""

from __future__ import annotations

import sys

_BLOCKED = None  # a None entry in sys.modules makes `import triton` raise ImportError


def block_triton() -> None:
    """Make `import triton` fail as if it were not installed (a no-op once something imported it)."""
    sys.modules.setdefault("triton", _BLOCKED)


def allow_triton() -> None:
    """Undo `block_triton()`, for openai-whisper on CUDA."""
    if "triton" in sys.modules and sys.modules["triton"] is _BLOCKED:
        del sys.modules["triton"]
