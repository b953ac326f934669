"""Embedding backends behind one small interface, chosen by the language of the feedback."""

from feedbackiq.embed._base import Embedder
from feedbackiq.embed._cache import CachedEmbedder, default_cache_dir
from feedbackiq.embed._local import MiniLMEmbedder, SentenceTransformerEmbedder, USEEmbedder
from feedbackiq.embed._openai import OpenAIEmbedder
from feedbackiq.embed._route import ZH_SHARE_FOR_MULTILINGUAL, choose_embedder, default_embedder

__all__ = [
    "Embedder",
    "CachedEmbedder",
    "default_cache_dir",
    "SentenceTransformerEmbedder",
    "MiniLMEmbedder",
    "USEEmbedder",
    "OpenAIEmbedder",
    "ZH_SHARE_FOR_MULTILINGUAL",
    "choose_embedder",
    "default_embedder",
]
