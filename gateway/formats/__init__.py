"""Codecs: bytes to the canonical model and back, streaming."""
