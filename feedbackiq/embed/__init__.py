"""Embedding backends behind one small interface, chosen by the language of the feedback."""

from feedbackiq.embed._base import Embedder
from feedbackiq.embed._cache import CachedEmbedder, default_cache_dir
from feedbackiq.embed._local import MiniLMEmbedder, SentenceTransformerEmbedder, USEEmbedder
from feedbackiq.embed._onnx import OnnxMiniLMEmbedder, export_minilm_onnx
from feedbackiq.embed._openai import OpenAIEmbedder
from feedbackiq.embed._static import StaticEmbedder, default_static_dir
from feedbackiq.embed._route import EMBEDDER_NAMES, MODELS, NON_ENGLISH_SHARE_FOR_MULTILINGUAL, STATIC_NAMES, ZH_SHARE_FOR_MULTILINGUAL, embedder_name_for, choose_embedder, default_embedder, make_embedder, routing_languages

__all__ = [
    "Embedder",
    "CachedEmbedder",
    "default_cache_dir",
    "SentenceTransformerEmbedder",
    "MiniLMEmbedder",
    "USEEmbedder",
    "OnnxMiniLMEmbedder",
    "export_minilm_onnx",
    "OpenAIEmbedder",
    "StaticEmbedder",
    "default_static_dir",
    "NON_ENGLISH_SHARE_FOR_MULTILINGUAL",
    "ZH_SHARE_FOR_MULTILINGUAL",
    "routing_languages",
    "choose_embedder",
    "default_embedder",
    "make_embedder",
    "EMBEDDER_NAMES",
    "STATIC_NAMES",
    "MODELS",
    "embedder_name_for",
]
