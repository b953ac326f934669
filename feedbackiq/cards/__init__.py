"""KPI cards: score customer needs against the targets on a team's demand-validation, launch-cadence and
revenue-bet cards, and list the demand (needs) no card owns."""

from feedbackiq.cards._markdown import format_value, load_scorecard, scorecard_to_markdown, without_llm, write_scorecard  # noqa: F401  (format_value, without_llm: for the report and CLI)
from feedbackiq.cards._match import AMBIGUOUS_MARGIN, MATCH_MIN_SIMILARITY, TIE_MARGIN, match_targets
from feedbackiq.cards._metrics import BOOTSTRAP_RESAMPLES, bootstrap_sum, wilson_interval
from feedbackiq.cards._score import score_cards
from feedbackiq.cards._spec import load_cards
from feedbackiq.cards._unowned import GROWTH_FACTOR, LOST_SHARE, RECENT_MONTHS, UNOWNED_MIN_SHARE, find_unowned

__all__ = ["load_cards", "score_cards", "write_scorecard", "load_scorecard", "scorecard_to_markdown", "match_targets", "wilson_interval",
           "bootstrap_sum", "find_unowned", "MATCH_MIN_SIMILARITY", "AMBIGUOUS_MARGIN", "TIE_MARGIN",
           "BOOTSTRAP_RESAMPLES", "UNOWNED_MIN_SHARE", "RECENT_MONTHS", "GROWTH_FACTOR", "LOST_SHARE"]
