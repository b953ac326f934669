"""GTM drafts: persona cards and features in each segment's words, grounded in the needs customers voice."""

from feedbackiq.gtm._draft import PersonaDraft, SalesTraits, draft_persona_traits
from feedbackiq.gtm._features import load_features
from feedbackiq.gtm._translate import FeatureMessage, match_needs, translate_features, word_shares
from feedbackiq.gtm._markdown import (NO_NEEDS, TEMPLATE_NOTE, load_personas, load_translations,  # noqa: F401  (NO_NEEDS, TEMPLATE_NOTE: for the report)
                                      personas_to_markdown, translations_to_markdown, write_personas, write_translations)
from feedbackiq.gtm._personas import CONFIDENCE_LEVELS, draft_personas
from feedbackiq.gtm._vocab import distinctive_words

__all__ = ["load_features", "translate_features", "FeatureMessage", "match_needs", "word_shares", "draft_persona_traits", "PersonaDraft", "SalesTraits", "draft_personas", "distinctive_words", "CONFIDENCE_LEVELS", "personas_to_markdown", "write_personas", "load_personas", "translations_to_markdown", "write_translations", "load_translations"]
