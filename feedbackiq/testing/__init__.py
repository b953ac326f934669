"""Test doubles shipped with feedbackiq, so users can test their own scripts offline."""

from feedbackiq.testing._server import OpenAIServer, Reply

__all__ = ["OpenAIServer", "Reply"]
