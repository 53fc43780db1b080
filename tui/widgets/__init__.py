"""Widgets of the review app that more than one screen could use, each owning its CSS."""
