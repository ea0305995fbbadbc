"""Sequential specifications (pure): what one atomic copy of the system would do.

`MODELS` maps the `--model` names to their classes; `get_model(name)` builds one.
"""

from __future__ import annotations

from replicheck.model.base import REJECT, Call, Model, ModelInputError, State, freeze
from replicheck.model.kv import KvModel
from replicheck.model.log import LogModel, LogNode
from replicheck.model.register import RegisterModel

MODELS: dict[str, type[Model]] = {
    RegisterModel.name: RegisterModel,
    KvModel.name: KvModel,
    LogModel.name: LogModel,
}


def get_model(name: str) -> Model:
    """The built-in model called `name` (KeyError if there is none)."""
    return MODELS[name]()


__all__ = [
    "MODELS",
    "REJECT",
    "Call",
    "KvModel",
    "LogModel",
    "LogNode",
    "Model",
    "ModelInputError",
    "RegisterModel",
    "State",
    "freeze",
    "get_model",
]
