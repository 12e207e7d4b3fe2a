"""The JSON Schema of the playbook format (``dealrescue playbooks schema``), from the records of ``model``.

Each field's description and constraints come from the ``doc(...)`` metadata the model declares,
so the schema an editor checks against is the format the loader reads.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from dealrescue.core.model import Playbook


@cache
def _adapter(cls: type[Any]) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(cls)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a playbook file, with each field's description and constraints."""
    schema: dict[str, Any] = _adapter(Playbook).json_schema()
    keywords = {"pattern": "pattern", "min_length": "minLength", "min_items": "minItems", "ge": "minimum"}
    for cls in _classes(Playbook):
        target = schema if cls is Playbook else schema.get("$defs", {}).get(cls.__name__)
        if target is None:
            continue
        if cls.__doc__:
            target["description"] = " ".join(cls.__doc__.split())
        for f in dataclasses.fields(cls):
            prop = target.get("properties", {}).get(f.name)
            if prop is None:
                continue
            prop["description"] = f.metadata.get("description", "")
            for rule, keyword in keywords.items():
                if rule in f.metadata:
                    prop[keyword] = f.metadata[rule]
    return schema


def _classes(root: type[Any]) -> list[type[Any]]:
    """``root`` and every dataclass reachable from its fields."""
    import typing

    found: list[type[Any]] = []
    todo = [root]
    while todo:
        cls = todo.pop()
        if cls in found:
            continue
        found.append(cls)
        for hint in typing.get_type_hints(cls).values():
            todo += [a for a in _flatten(hint) if dataclasses.is_dataclass(a) and isinstance(a, type)]
    return found


def _flatten(hint: Any) -> list[Any]:
    import typing

    return [hint, *(x for arg in typing.get_args(hint) for x in _flatten(arg))]
