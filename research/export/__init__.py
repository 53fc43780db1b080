"""Exports: journey maps (analyst HTML and Markdown, one-page story, PPTX deck, PNG and editable SVG slides, JSON, CSV), transcripts (TXT, DOCX, SRT, VTT), REFI-QDA."""
