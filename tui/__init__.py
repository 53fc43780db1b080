"""The Textual review app (drives the research library; the library never imports it)."""
