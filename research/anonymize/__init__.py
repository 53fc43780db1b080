"""Anonymization of transcripts and audio: detection, pseudonyms, the stage."""
