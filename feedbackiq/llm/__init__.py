"""The LLM layer: one OpenAI-compatible client with structured outputs, retries, cache, log and budget."""

from feedbackiq.llm._budget import Budget
from feedbackiq.llm._client import HOW_TO_CONFIGURE, LLM, no_llm_hint, parse_json_reply
from feedbackiq.llm._naming import NeedNaming, ThemeNaming, name_themes
from feedbackiq.llm._prompts import Prompt, feedback_block, language_instruction, load_prompt
from feedbackiq.llm._outcome import check_all_failed  # noqa: F401  (for the pipeline and CLI)
from feedbackiq.llm._regroup import NeedRegrouping, propose_regrouping, regroup_and_name  # noqa: F401  (regroup_and_name: likewise)

__all__ = [
    "LLM",
    "Budget",
    "HOW_TO_CONFIGURE",
    "no_llm_hint",
    "parse_json_reply",
    "name_themes",
    "ThemeNaming",
    "NeedNaming",
    "propose_regrouping",
    "NeedRegrouping",
    "Prompt",
    "load_prompt",
    "feedback_block",
    "language_instruction",
]
