"""Records: dataclasses made without compiling code for each class.

``@dataclass(frozen=True)`` writes ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` as source text and compiles each with ``exec``: about
1 ms a class. A playbook run declares some 35 of them before it does any work, a sixth of
its start-up. ``record`` keeps the dataclass machinery for the fields (``dataclasses.fields``,
``replace``, ``asdict`` and pydantic's validation all work as before) and gives every record
the same shared methods instead, which cost nothing to attach.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only the type checker needs it; keep typing_extensions off the run path

    def dataclass_transform(**_: Any) -> Any:
        return lambda decorated: decorated


T = TypeVar("T")
_MISSING = dataclasses.MISSING


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T] | None = None, /, *, frozen: bool = True) -> Any:
    """A dataclass (frozen unless ``frozen=False``) with the shared methods below."""

    def make(cls: type[T]) -> type[T]:
        if cls.__doc__ is None:
            # dataclass would write one from inspect.signature(cls): 2 ms for the first class.
            cls.__doc__ = f"{cls.__name__}({', '.join(cls.__dict__.get('__annotations__', {}))})"
        cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        methods: dict[str, Any] = {
            "__record_fields__": tuple((f.name, f.default, f.default_factory) for f in fields),
            "__init__": _init,
            "__repr__": _repr,
            "__eq__": _eq,
            # As dataclasses do: a frozen record hashes its values; a mutable one is unhashable.
            "__hash__": _hash if frozen else None,
        }
        if frozen:
            methods.update(__setattr__=_refuse, __delattr__=_refuse)
            cls.__dataclass_params__.frozen = True  # type: ignore[attr-defined]
        for name, value in methods.items():
            setattr(cls, name, value)
        return cls

    return make if cls is None else make(cls)


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec = type(self).__record_fields__
    if len(args) > len(spec):
        raise TypeError(f"{type(self).__name__}() takes {len(spec)} arguments, {len(args)} were given")
    put = object.__setattr__
    for (name, _default, _factory), value in zip(spec, args, strict=False):  # args may be fewer
        if name in kwargs:
            raise TypeError(f"{type(self).__name__}() got {name!r} twice")
        put(self, name, value)
    for name, default, factory in spec[len(args) :]:
        if name in kwargs:
            value = kwargs.pop(name)
        elif default is not _MISSING:
            value = default
        elif factory is not _MISSING:
            value = factory()
        else:
            raise TypeError(f"{type(self).__name__}() is missing {name!r}")
        put(self, name, value)
    if kwargs:
        raise TypeError(f"{type(self).__name__}() got unexpected {', '.join(map(repr, kwargs))}")


def _values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name, _default, _factory in type(self).__record_fields__)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name, _default, _factory in type(self).__record_fields__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]
    return bool(_values(self) == _values(other))


def _hash(self: Any) -> int:
    return hash(_values(self))


def _refuse(self: Any, name: str, *_value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
