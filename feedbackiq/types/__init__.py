"""The data model: every pipeline step takes and returns models from this one namespace.

``ingest -> embed -> cluster -> describe/label -> personas & messaging -> cards -> report``

Only data and light accessors live here; the work is done by the step modules.
Models are pydantic v2, strict about unknown fields (a typo in a field name is an
error, not silently ignored), and JSON round-trip exactly. The private modules
group them by step (``_feedback``, ``_ledger``, ``_themes``, ``_llm``, ``_gtm``, ``_cards``, ``_run``);
always import from ``feedbackiq.types``.
"""

from feedbackiq.types import _base, _cards, _feedback, _gtm, _ledger, _llm, _run, _themes
from feedbackiq.types._base import *  # noqa: F403
from feedbackiq.types._base import construct_trusted, markdown_view  # noqa: F401  (for the step modules; not in the public API)
from feedbackiq.types._cards import *  # noqa: F403
from feedbackiq.types._cards import READINESS_METRICS, CardKind, SegmentFilter, TargetStatus, card_problems  # noqa: F401
from feedbackiq.types._feedback import *  # noqa: F403
from feedbackiq.types._ledger import *  # noqa: F403
from feedbackiq.types._llm import *  # noqa: F403
from feedbackiq.types._gtm import *  # noqa: F403
from feedbackiq.types._run import *  # noqa: F403
from feedbackiq.types._themes import *  # noqa: F403

__all__ = [
    *_base.__all__,
    *_feedback.__all__,
    *_ledger.__all__,
    *_llm.__all__,
    *_themes.__all__,
    *_gtm.__all__,
    *_cards.__all__,
    *_run.__all__,
]
