"""Whisper engines behind one protocol (``align.engines.base.Engine``).

``faster_whisper`` (CTranslate2) is the default; ``openai_whisper`` (PyTorch) is the
second. Each imports its backend lazily, so importing this package is cheap.
"""
