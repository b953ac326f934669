"""The LLM layer: one OpenAI-compatible client with structured outputs, retries, cache, log and budget."""

from feedbackiq.llm._budget import Budget
from feedbackiq.llm._client import HOW_TO_CONFIGURE, LLM, no_llm_hint, parse_json_reply
from feedbackiq.llm._naming import NeedNaming, ThemeNaming, name_themes
from feedbackiq.llm._prompts import Prompt, feedback_block, language_instruction, load_prompt
from feedbackiq.llm._outcome import check_all_failed  # noqa: F401  (for the pipeline and CLI)
# The parts the later steps (personas, messaging, card matches) build their own LLM calls from: the privacy
# gate, the claim checks, the prompts' language and the outcome counts. Not in the public API.
from feedbackiq.llm._claims import (MAX_NAME_CHARS, ClaimChecker, Judgement, evidence_set, fit_evidence,  # noqa: F401
                                    judged_generate, sales_refs)
from feedbackiq.llm._evidence import ClaimVerdict, EvidenceSet  # noqa: F401
from feedbackiq.llm._meaning import MeaningChecks, name_key  # noqa: F401
from feedbackiq.llm._replies import (GroundedClaim, at_most, capped, citing_only, claims_in,  # noqa: F401
                                     in_schema_order)
from feedbackiq.llm._outbound import Outbound  # noqa: F401
from feedbackiq.llm._outcome import EXPECTED_FAILURES, failure_reason, fallback_reason, map_calls, tally  # noqa: F401
from feedbackiq.llm._prompts import output_language  # noqa: F401
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
