"""Prompt templates: versioned YAML data files in ``feedbackiq/prompts/``, rendered strictly.

A template declares its variables; rendering with a missing or an undeclared
variable is an error, and so is a template using a variable it does not declare.
Placeholders are ``${name}`` (``string.Template``), so JSON braces in prompts
need no escaping.
"""

from __future__ import annotations

import functools
import json
import string
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from feedbackiq._errors import ConfigError

__all__ = ["Prompt", "load_prompt", "prompts_dir", "feedback_block", "language_instruction", "output_language",
           "OUTPUT_LANGUAGES"]

OUTPUT_LANGUAGES = ("same", "en", "zh")


def prompts_dir() -> Path:
    """The templates' folder: package data, so an installed wheel has them as the checkout does."""
    folder = Path(str(resources.files("feedbackiq") / "prompts"))
    if not folder.is_dir():
        raise ConfigError(f"prompt templates not found in {folder}: the feedbackiq installation is incomplete "
                          "(reinstall with: pip install --force-reinstall feedbackiq)")
    return folder


class Prompt(BaseModel):
    """One template: ``name`` + ``version`` identify it in caches and logs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    description: str = ""
    system: str
    user: str
    output_schema: str
    variables: list[str]

    def model_post_init(self, _: Any) -> None:
        used = {m.group("named") or m.group("braced")
                for text in (self.system, self.user)
                for m in string.Template.pattern.finditer(text) if m.group("named") or m.group("braced")}
        if used != set(self.variables):
            raise ConfigError(f"prompt {self.name!r} v{self.version}: template uses {sorted(used)} "
                              f"but declares {sorted(self.variables)}")

    def render(self, **variables: Any) -> list[dict[str, str]]:
        """The chat messages; unknown or missing variables raise :class:`ConfigError`."""
        given, declared = set(variables), set(self.variables)
        if given - declared:
            raise ConfigError(f"prompt {self.name!r}: unknown variable(s) {sorted(given - declared)}")
        if declared - given:
            raise ConfigError(f"prompt {self.name!r}: missing variable(s) {sorted(declared - given)}")
        values = {k: str(v) for k, v in variables.items()}
        return [{"role": "system", "content": string.Template(self.system).substitute(values)},
                {"role": "user", "content": string.Template(self.user).substitute(values)}]


@functools.cache
def load_prompt(name: str) -> Prompt:
    path = prompts_dir() / f"{name}.yaml"
    if not path.exists():
        raise ConfigError(f"no prompt template {name!r} in {prompts_dir()}")
    try:
        return Prompt.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise ConfigError(f"invalid prompt template: {exc}", source=str(path)) from None


def feedback_block(records: list[dict[str, Any]]) -> str:
    """Feedback as data: one JSON object per line inside ``<feedback_data>`` tags.

    ``<`` and ``>`` inside texts are escaped as ``\\u003c``/``\\u003e`` (still valid
    JSON), so a text cannot close the block or open a fake instruction tag.
    """
    lines = [json.dumps(r, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e") for r in records]
    return "<feedback_data>\n" + "\n".join(lines) + "\n</feedback_data>"


def output_language(language: str, feedback_languages: list[str] | None = None) -> str:
    """``"en"`` or ``"zh"``: ``language`` itself, or for ``"same"`` the language of most of the feedback
    (pass every item's language, not one group's: a report is written in one language, and its Chinese
    needs get English names in a mostly English report). Items in other languages count for neither.

    >>> output_language("same", ["zh", "en", "zh", "other"]), output_language("same", ["en", "zh"]), output_language("zh")
    ('zh', 'en', 'zh')
    """
    if language not in OUTPUT_LANGUAGES:
        raise ConfigError(f"output language must be 'en', 'zh' or 'same', got {language!r}")
    if language != "same":
        return language
    langs = [x for x in feedback_languages or [] if x in ("en", "zh")]
    return "zh" if langs and sum(1 for x in langs if x == "zh") > len(langs) / 2 else "en"


def language_instruction(language: str, feedback_languages: list[str] | None = None) -> str:
    """``en``, ``zh``, or ``same`` (see :func:`output_language`): what every text field is written in;
    quotes stay in the language the customer wrote."""
    if output_language(language, feedback_languages) == "zh":
        return ("Write every text field in Simplified Chinese (简体中文); quotes stay exactly as the customer wrote "
                "them, in their own language.")
    return "Write every text field in English; quotes stay exactly as the customer wrote them, in their own language."
