"""research: an offline qualitative interview research assistant for CX teams."""

__version__ = "0.1.0"
