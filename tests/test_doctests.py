"""The examples in docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = ["feedbackiq._lang", "feedbackiq._redact", "feedbackiq._terms", "feedbackiq.llm._evidence", "feedbackiq._tabular_out", "feedbackiq.ingest._values",
           "feedbackiq._tokenize", "feedbackiq._voice", "feedbackiq.themes._cluster", "feedbackiq.themes._sample",
           "feedbackiq.themes._centroids",
           "feedbackiq.themes._breakdowns", "feedbackiq.themes._knn",
           "feedbackiq.llm._budget", "feedbackiq.llm._regroup",
           "feedbackiq.embed._route", "feedbackiq.embed._base", "feedbackiq.pipeline._config",
           "feedbackiq.pipeline._checkpoint", "feedbackiq.cards._metrics", "feedbackiq.cards._markdown",
           "feedbackiq.report._html", "feedbackiq.report._growth", "feedbackiq.report._project", "feedbackiq.report._page",
           "feedbackiq.report._money", "feedbackiq.report._facts", "feedbackiq.report._stats", "feedbackiq.report._charts",
           "feedbackiq.report._markdown", "feedbackiq.report._map",
           "feedbackiq.embed._onnx", "feedbackiq.engine._ray", "feedbackiq.themes._assign"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
