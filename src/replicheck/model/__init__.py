"""Sequential specifications (pure): what one atomic copy of the system would do.

`MODELS` maps the `--model` names to their classes; `get_model(name)` builds one.
"""

from __future__ import annotations

from typing import Any

from replicheck.model.base import (
    REJECT,
    Call,
    Model,
    ModelInputError,
    Record,
    Reject,
    State,
    StepFn,
    freeze,
)
from replicheck.model.kv import KvModel
from replicheck.model.log import LogModel, LogNode
from replicheck.model.register import RegisterModel

# `Model[Any]`: each model has its own state type, and the command line picks one by name.
MODELS: dict[str, type[Model[Any]]] = {
    RegisterModel.name: RegisterModel,
    KvModel.name: KvModel,
    LogModel.name: LogModel,
}


def get_model(name: str) -> Model[Any]:
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
    "Record",
    "RegisterModel",
    "Reject",
    "State",
    "StepFn",
    "freeze",
    "get_model",
]
