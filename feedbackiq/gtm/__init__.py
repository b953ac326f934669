"""GTM drafts: persona cards (and, next, market-language translation) grounded in the feedback."""

from feedbackiq.gtm._draft import PersonaDraft, claim_problems, draft_persona_traits
from feedbackiq.gtm._markdown import personas_to_markdown, write_personas
from feedbackiq.gtm._personas import CONFIDENCE_LEVELS, draft_personas
from feedbackiq.gtm._vocab import distinctive_words

__all__ = ["draft_persona_traits", "PersonaDraft", "claim_problems", "draft_personas", "distinctive_words", "CONFIDENCE_LEVELS", "personas_to_markdown", "write_personas"]
