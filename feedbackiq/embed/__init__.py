"""Embedding backends behind one small interface."""

from feedbackiq.embed._base import Embedder

__all__ = ["Embedder"]
