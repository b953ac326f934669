"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, Azure, vLLM, Ollama ...)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from feedbackiq._errors import EmbeddingError, LLMNotConfiguredError
from feedbackiq.embed._base import Embedder

__all__ = ["OpenAIEmbedder"]


class OpenAIEmbedder(Embedder):
    """Embed through an OpenAI-compatible endpoint; vectors are L2-normalised.

    Parameters
    ----------
    model : str
        E.g. ``"text-embedding-3-small"``, or the model name your server serves.
    base_url, api_key : str, optional
        Default ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.
    batch_size : int, default 128
    timeout : float, default 60
    max_retries : int, default 4
        The openai client's own retries (backoff, Retry-After).
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None, batch_size: int = 128,
                 timeout: float = 60.0, max_retries: int = 4) -> None:
        self.model = model
        self.base_url = base_url
        self.api_key = api_key
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_retries = max_retries
        self.model_id = f"openai:{model}"
        self._client = None
        self.dim = 0

    def _openai(self):
        if self._client is None:
            import openai

            base_url = self.base_url or os.environ.get("OPENAI_BASE_URL")
            api_key = self.api_key or os.environ.get("OPENAI_API_KEY")
            if not (base_url or api_key):
                raise LLMNotConfiguredError("OpenAIEmbedder needs OPENAI_API_KEY or a base_url (e.g. a local vLLM/Ollama server)")
            self._client = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=self.timeout,
                                         max_retries=self.max_retries)
        return self._client

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        try:
            resp = self._openai().embeddings.create(model=self.model, input=list(texts))
        except openai.OpenAIError as exc:
            raise EmbeddingError(f"embedding endpoint failed for model {self.model!r}: {exc}") from None
        rows = sorted(resp.data, key=lambda d: d.index)
        v = np.asarray([r.embedding for r in rows], dtype=np.float32)
        if v.shape[0] != len(texts):
            raise EmbeddingError(f"endpoint returned {v.shape[0]} vectors for {len(texts)} texts")
        self.dim = v.shape[1]
        norms = np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.where(norms == 0, 1.0, norms)
