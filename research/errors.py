"""Errors that reach the user as one clear line."""


class ResearchError(Exception):
    """Base for every error the CLI reports as a single line, without a traceback."""


class StudyNotFoundError(ResearchError):
    pass


class AudioError(ResearchError):
    """A file that can't be used as audio; `reason` says why without naming the file."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.reason = reason


class MetadataError(ResearchError):
    pass


class ModelNotAvailableError(ResearchError):
    pass


class VaultPurgedError(ResearchError):
    pass


class DiskFullError(ResearchError):
    """No space left: a stage stops at once rather than failing every interview in turn."""
