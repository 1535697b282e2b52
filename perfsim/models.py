"""The base of every file model: strict (unknown keys, NaN and infinity refused) and immutable."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

NO_ENGLISH = "(no English name given)"
"""What an English output shows for a name the scheme gives only in Chinese (no English is invented)."""

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
"""CJK characters and full-width punctuation: what an English output must not contain."""


class Model(BaseModel):
    # attribute docstrings become field descriptions: the generated scheme reference reads them
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True)


class Label(Model):
    """A name in Chinese and, optionally, in English.

    A file may write a name as plain text (``name: 重点工作``): that is the Chinese name, and the
    English one is not given. English outputs then show the id, or say that no English name is given.
    """

    zh: str = Field(min_length=1)
    """The name in Chinese, as the published form writes it."""
    en: str | None = Field(None, min_length=1)
    """The name in English; optional (English outputs fall back to the id)."""

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"zh": data}
        if not isinstance(data, (dict, Label)):
            raise ValueError("a name is text (the Chinese name) or a mapping {zh: 中文名, en: English name}")
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # editors should accept the plain-text form the loader accepts
        mapping = handler(core_schema)
        return {"anyOf": [{"type": "string", "minLength": 1}, mapping]}

    @property
    def has_english(self) -> bool:
        """Whether an English name is given."""
        return self.en is not None

    def english(self, fallback: str | None = None) -> str:
        """The English name; where none is given, ``fallback`` (an id) if it has no Chinese, else a note.

        Parameters
        ----------
        fallback
            What to show instead, typically the id of the thing named.

        Returns
        -------
        str
            Text without Chinese characters (unless the English name itself holds some).
        """
        if self.en is not None:
            return self.en
        if fallback and not CJK.search(fallback):
            return fallback
        return NO_ENGLISH

    def both(self) -> str:
        """``中文名 / English name`` for bilingual lines, or the Chinese name alone when no English is given."""
        return f"{self.zh} / {self.en}" if self.en is not None else self.zh
