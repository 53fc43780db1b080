"""Exports: journey maps (HTML, Markdown, JSON, CSV, PNG/SVG), transcripts (TXT, DOCX, SRT, VTT), REFI-QDA."""
