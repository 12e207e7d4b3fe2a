"""The Jinja sandbox playbooks run in, with every value it builds counted against the budget.

Only the methods of text, lists, mappings and numbers named below can be reached, and only the
filters left in the environment can run; each one that can grow its output (padding, repeating,
joining, replacing, batching) has its output size worked out from its arguments and checked
before anything is built. Every filter and method also pays for what it reads and returns
(``budget.Budget.spend``), so chains of small steps cannot add up to a large one either.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sized
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from dealrescue.core.budget import (
    MAX_NUMBER_BITS,
    MAX_TEXT,
    BudgetExceeded,
    bounded_concat,
    counted_loop,
    current_budget,
    deep_size,
    measured,
)
from dealrescue.core.mdescape import code_span, escape_inline, strip_controls


class ExpressionProblem(Exception):
    """A condition or template that does not compile, names something unknown, or fails as it runs."""


def display_value(value: Any) -> str:
    """How an answer or score reads in prose. Only plain data may be printed."""
    if not isinstance(value, (str, int, float, bool, list, tuple, dict, type(None))):
        raise ExpressionProblem("a template may print answers and text only, not a function or object")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(display_value(v) for v in value)
    return str(value)


# Set while rendering the markdown flavour; one compiled template serves both flavours.
MARKDOWN: ContextVar[bool] = ContextVar("dealrescue_markdown", default=False)


class Command(str):
    """A dealrescue command line a plan suggests, its words shell-quoted: a code span in markdown."""

    __slots__ = ()


def command_line(words: Any) -> Command:
    """The ``command`` filter: ``{{ ["walkaway", deal] | command }}`` is ``dealrescue walkaway 'Tailspin Toys'``."""
    import shlex

    parts = [words] if isinstance(words, str) else list(words)
    return Command(shlex.join(["dealrescue", *(strip_controls(display_value(p)).replace("\n", " ") for p in parts)]))


def finalize(value: Any) -> str:
    """What every ``{{ value }}`` prints: measured first (a list of lists prints all it holds)."""
    if isinstance(value, Command):
        current_budget().spend(len(value), "a printed value")
        return code_span(value) if MARKDOWN.get() else str(value)
    if type(value) is str:  # most of what is printed: no walk, no conversion
        size, text = len(value), value
    else:
        size = deep_size(value, MAX_TEXT + 1)
        text = ""
    if size > MAX_TEXT:
        raise BudgetExceeded(f"it prints a value of more than {MAX_TEXT:,} characters; playbook templates must stay small")
    current_budget().spend(size, "a printed value")
    if type(value) is not str:
        text = display_value(value)
    return escape_inline(text) if MARKDOWN.get() else text

# Methods of data a template may call; any other is refused (``.encode``, ``.copy``...).
_TEXT_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find", "index", "isalnum", "isalpha",
    "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle",
    "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind",
    "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase",
    "title", "translate", "upper", "zfill", "striptags", "unescape",
})  # fmt: skip
ALLOWED_METHODS: dict[type, frozenset[str]] = {
    str: _TEXT_METHODS,
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values"}),
    int: frozenset({"bit_length"}),
    float: frozenset({"is_integer"}),
}
# Filters taken out: they pad, wrap or format to a size the template chooses, or print Python's view.
REMOVED_FILTERS = ("format", "indent", "wordwrap", "filesizeformat", "xmlattr", "urlize", "pprint")
# Results larger than this from `*` are refused: a playbook cannot stall the loader.
MAX_PRODUCT = 100_000
_MAX_ROUND_DIGITS = 100
_MAX_JSON_INDENT = 8


_DATA = (str, list, tuple, dict, int, float)


def _data_type(value: Any) -> type | None:
    if not isinstance(value, _DATA):
        return None
    for kind in _DATA:
        if isinstance(value, kind):
            return kind
    return None


def check_size(size: int, what: str) -> None:
    """Refuse, before it is built, a value of ``size`` characters or items past MAX_TEXT; else pay for it."""
    if size > MAX_TEXT:
        raise BudgetExceeded(
            f"{what} would be {size:,} characters or items long, more than {MAX_TEXT:,}; playbook templates must stay small"
        )
    current_budget().spend(size, what)


def _text_result_size(owner: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """The size a text method's result will have at most, for the methods that can grow it; None otherwise."""
    given = [*args, *kwargs.values()]
    if name in ("ljust", "rjust", "center", "zfill"):
        width = given[0] if given else 0
        return max(len(owner), width if isinstance(width, int) else 0)
    if name == "expandtabs":
        size = given[0] if given else 8
        return len(owner) + owner.count("\t") * max(size if isinstance(size, int) else 8, 0)
    if name == "replace" and len(given) >= 2 and isinstance(given[0], str) and isinstance(given[1], str):
        return replaced_size(owner, given[0], given[1], given[2] if len(given) > 2 else -1)
    if name == "translate" and given and isinstance(given[0], dict):
        longest = max((len(v) for v in given[0].values() if isinstance(v, str)), default=1)
        return len(owner) * max(longest, 1)
    return None


def replaced_size(text: str, old: str, new: str, count: Any) -> int:
    """How long ``text.replace(old, new, count)`` will be, worked out without building it."""
    found = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))


def joined(separator: str, items: Iterable[Any], what: str) -> list[str]:
    """The parts of a join, read one by one (each paid for), once their joined size is known to fit."""
    parts: list[str] = []
    size = 0
    for item in items:
        text = item if isinstance(item, str) else str(measured(item, what))
        size += len(text) + (len(separator) if parts else 0)
        if size > MAX_TEXT:
            raise BudgetExceeded(f"{what} would be longer than {MAX_TEXT:,} characters; playbook templates must stay small")
        parts.append(text)
    current_budget().spend(size, what)
    return parts


def checked_method_call(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any | None:
    """Run an allowed method of text with its output size checked first (``join`` reads its items
    one by one); None for any other callable, which the sandbox calls as usual."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str):
        return None
    name = getattr(method, "__name__", "")
    if name == "join" and len(args) == 1 and not kwargs:
        return method(joined(owner, args[0], "text joined with .join"))
    size = _text_result_size(owner, name, args, kwargs)
    check_size(len(owner) if size is None else size, f"the text .{name}(...) builds")
    return None


def is_allowed_method(owner: Any, name: str) -> bool:
    kind = _data_type(owner)
    return kind is not None and name in ALLOWED_METHODS[kind]


def _value_argument(function: Callable[..., Any]) -> int:
    """Where a filter's value is among its positional arguments: after the context or environment Jinja passes."""
    return 1 if getattr(function, "jinja_pass_arg", None) is not None else 0


def _prechecked(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], value_at: int) -> None:
    """The output size of the filters that can grow it, checked from their arguments."""
    given = list(args[value_at:])
    value = given[0] if given else None
    rest = given[1:] + list(kwargs.values())
    if name == "replace" and isinstance(value, str) and len(rest) >= 2:
        old, new = str(rest[0]), str(rest[1])
        check_size(replaced_size(value, old, new, rest[2] if len(rest) > 2 else -1), "the text replace builds")
    elif name == "center" and isinstance(value, str):
        check_size(max(len(value), rest[0] if rest and isinstance(rest[0], int) else 80), "the text center builds")
    elif name in ("batch", "slice") and rest and isinstance(rest[0], int):
        count = len(value) if isinstance(value, Sized) else 0
        check_size(count + abs(rest[0]), f"the lists {name} builds")
    elif name == "round" and len(rest) >= 1 and isinstance(rest[0], int) and abs(rest[0]) > _MAX_ROUND_DIGITS:
        raise BudgetExceeded(f"round to at most {_MAX_ROUND_DIGITS} digits")
    elif name == "tojson" and rest and isinstance(rest[0], int) and rest[0] > _MAX_JSON_INDENT:
        raise BudgetExceeded(f"tojson indents by at most {_MAX_JSON_INDENT}")
    elif name == "sum" and any(isinstance(v, (str, list, tuple, dict)) for v in kwargs.values()) or (
        name == "sum" and len(rest) >= 2 and not isinstance(rest[1], (int, float))
    ):
        raise BudgetExceeded("sum adds numbers only (its start must be a number)")


def counted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a filter that pays for what it reads and returns, its growth checked first."""
    value_at = _value_argument(function)

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.step()
        for argument in (*args[value_at:], *kwargs.values()):
            measured(argument, f"what {name} reads")
        _prechecked(name, args, kwargs, value_at)
        if name == "join":
            return _join_filter(function, args, kwargs, value_at)
        result = function(*args, **kwargs)
        if isinstance(result, (str, list, tuple, dict)):
            budget.spend(len(result), f"what {name} builds")
        return result

    return run


def _join_filter(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], value_at: int) -> Any:
    """The join filter with its items read one by one and its size known before the text is joined."""
    given = list(args)
    separator = given[value_at + 1] if len(given) > value_at + 1 else kwargs.get("d", "")
    attribute = kwargs.get("attribute", given[value_at + 2] if len(given) > value_at + 2 else None)
    if attribute is None:
        given[value_at] = joined(str(separator), given[value_at], "text joined with join")
    return function(*given, **kwargs)


def _repeat_check(left: Any, right: Any) -> None:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and not isinstance(count, bool):
            if len(seq) * count > MAX_PRODUCT:
                raise BudgetExceeded("repeated text or list too long")
            # A list of lists repeated: what it holds counts, not only its length.
            check_size(deep_size(seq, MAX_TEXT + 1) * max(count, 0), "repeated text or list")


@lru_cache(maxsize=1)
def environment() -> Any:
    """The one sandboxed environment every condition and template is compiled and run in."""
    from jinja2 import StrictUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        # Intercepted operators are also kept out of compile-time constant folding.
        intercepted_binops = frozenset({"*", "**", "%", "+"})

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            if callable(value) and _data_type(obj) is not None and not is_allowed_method(obj, attr):
                return False  # a method of data that is not on the list (.encode, .copy, .maketrans...)
            return bool(super().is_safe_attribute(obj, attr, value))

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - jinja's signature
            # Every call a template makes (a macro calling itself twice per level, say) costs a step.
            budget = current_budget()
            budget.step()
            if not __self.is_safe_callable(__obj):
                raise SecurityError(f"{__obj!r} is not safely callable")
            if isinstance(getattr(__obj, "__self__", None), _DATA):
                checked = checked_method_call(__obj, args, kwargs)
                if checked is not None:
                    return checked
            result = __context.call(__obj, *args, **kwargs)
            if isinstance(result, (str, list, tuple, dict)):
                budget.spend(len(result), "what a call builds")
            return result

        def wrap_str_format(self, value: Any) -> Any:
            # str.format can pad to any width: "{0:10000000}".format(x). The sandbox hands
            # every str.format / format_map attribute through here; refuse them all.
            if getattr(value, "__name__", None) in ("format", "format_map") and isinstance(getattr(value, "__self__", None), str):

                def refuse(*args: Any, **kwargs: Any) -> str:
                    raise SecurityError("str.format is not allowed in playbooks")

                return refuse
            return None

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "%" and isinstance(left, str):
                raise SecurityError("%-formatting of text is not allowed in playbooks")
            if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
                raise SecurityError("exponent too large")
            if operator == "**" and isinstance(left, int) and isinstance(right, int) and left.bit_length() * abs(right) > MAX_NUMBER_BITS:
                raise SecurityError(f"number too large (more than {MAX_NUMBER_BITS} bits)")
            if operator == "*":
                _repeat_check(left, right)
                if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_NUMBER_BITS:
                    raise SecurityError(f"number too large (more than {MAX_NUMBER_BITS} bits)")
            sized = isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple))
            if operator == "+" and sized:
                if len(left) + len(right) > MAX_TEXT:
                    raise SecurityError(f"text or list joined with + is longer than {MAX_TEXT:,}")
                current_budget().spend(len(left) + len(right), "text or lists joined with +")
            return super().call_binop(context, operator, left, right)

    env = Sandbox(
        # Jinja's constant folding re-walks every subtree at every node: quadratic on a long
        # `a and b and ...` chain. Without it compiling is linear; operators run (and are
        # checked by call_binop) at render time instead.
        optimized=False,
        undefined=StrictUndefined,
        autoescape=False,
        finalize=finalize,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # No globals (range, lipsum, cycler, joiner, namespace): templates see plain data only.
    env.globals.clear()
    for name in REMOVED_FILTERS:
        env.filters.pop(name, None)
    env.filters["command"] = command_line
    env.filters = {name: counted_filter(name, function) for name, function in env.filters.items()}
    # Put into every compiled template by budget.with_budget: loops counted, `~` bounded, literals paid for.
    env.filters["dr_loop"] = counted_loop
    env.filters["dr_concat"] = bounded_concat
    env.filters["dr_built"] = built_literal
    return env


def built_literal(value: Any, line: int | None = None) -> Any:
    """What every list, tuple and mapping written in a template becomes: the same value, paid for
    by everything it holds (a list of lists of lists written out can hold a great deal)."""
    measured(value, f"a list written at line {line}" if line else "a list written in the text")
    return value

