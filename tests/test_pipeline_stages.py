"""The run's embed stage: blocks of similar-length texts, vectors back in input order, progress per block."""

import numpy as np

from feedbackiq.embed import Embedder
from feedbackiq.pipeline._stages import _Blocks


class Recording(Embedder):
    model_id = "recording-v1"
    dim = 2
    batch_size = 1000

    def __init__(self):
        self.calls = []

    def embed_batch(self, texts):
        self.calls.append(list(texts))
        return np.array([[len(t), t.count("a")] for t in texts], dtype=np.float32)


def test_blocks_are_length_ordered_and_vectors_in_input_order():
    rng = np.random.default_rng(0)
    texts = ["a" * int(n) + "b" * int(m) for n, m in zip(rng.integers(0, 40, 50), rng.integers(1, 40, 50))]
    inner, advanced = Recording(), []
    blocks = _Blocks(inner, advanced.append)
    blocks.batch_size = 8
    out = blocks.embed(texts)
    assert np.array_equal(out, inner.embed_batch(texts))               # row i is texts[i]'s vector
    seen = [t for call in inner.calls[:-1] for t in call]
    assert sorted(seen, key=len) == seen and len(seen) == len(texts)   # every block shorter than the next
    assert [len(c) for c in inner.calls[:-1]] == [8] * 6 + [2] and advanced == [8] * 6 + [2]
    assert blocks.embed([]).shape == (0, 2)
