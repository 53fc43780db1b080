"""Errors that reach the user as one clear line."""


class ResearchError(Exception):
    """Base for every error the CLI reports as a single line, without a traceback."""


class StudyNotFoundError(ResearchError):
    pass


class AudioError(ResearchError):
    pass


class MetadataError(ResearchError):
    pass


class ModelNotAvailableError(ResearchError):
    pass
