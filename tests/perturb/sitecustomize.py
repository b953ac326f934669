"""Perturbed numerics for the second test run (``make test``): every model embedding is moved by noise.

Embeddings and UMAP differ in the last bits from one CPU, BLAS kernel or thread count to another,
so a test that passes only with this machine's exact floats fails elsewhere. With
``FEEDBACKIQ_TEST_PERTURB=<scale>`` set, every vector the bundled models return gets Gaussian noise
of that scale (then is normalised again), seeded by the text and ``FEEDBACKIQ_TEST_PERTURB_SEED``: the same
text always moves the same way within a run, as on another machine, and a different seed is another
machine. This file is on ``PYTHONPATH`` of the test run, so Python loads it at start-up in the test
process and in every subprocess a test starts (the CLI); without the variable it does nothing.
"""

import os


def install() -> None:
    scale = float(os.environ.get("FEEDBACKIQ_TEST_PERTURB") or 0)
    if not scale:
        return
    import hashlib

    import numpy as np

    from feedbackiq.embed._local import SentenceTransformerEmbedder, USEEmbedder
    from feedbackiq.embed._onnx import OnnxMiniLMEmbedder

    salt = os.environ.get("FEEDBACKIQ_TEST_PERTURB_SEED", "0").encode()

    def perturbed(embed_batch):
        def embed(self, texts):
            texts = list(texts)
            out = np.array(embed_batch(self, texts), dtype=np.float32)
            for i, text in enumerate(texts):
                seed = int.from_bytes(hashlib.sha256(salt + b"\x00" + text.encode("utf-8")).digest()[:8], "little")
                out[i] += scale * np.random.default_rng(seed).standard_normal(out.shape[1]).astype(np.float32)
            return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

        embed.perturbed = True
        return embed

    # The bundled models only: the vectors themes are found in on a user's machine. Embedders that
    # tests build from known arrays check exact arithmetic and stay as they are.
    for cls in (SentenceTransformerEmbedder, USEEmbedder, OnnxMiniLMEmbedder):
        if not getattr(cls.embed_batch, "perturbed", False):
            cls.embed_batch = perturbed(cls.embed_batch)


install()
