"""Conditions and templates: Jinja2 in its sandbox, over plain data, with StrictUndefined.

Two template flavours share one compiled source: ``plain`` (for JSON) and
``markdown``, whose ``finalize`` escapes every interpolated value so that an
answer can never change the plan's structure. Answers are only ever values
passed in, never template source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dealrescue.core.budget import (
    BUDGET,
    MAX_NUMBER_BITS,
    MAX_TEXT,
    Budget,
    BudgetExceeded,
    bounded_concat,
    check_condition_size,
    counted_loop,
    current_budget,
    with_budget,
)
from dealrescue.core.mdescape import code_span, escape_inline, strip_controls


class ExpressionProblem(Exception):
    """A condition or template that does not compile or names something unknown."""


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
_MARKDOWN: ContextVar[bool] = ContextVar("dealrescue_markdown", default=False)


class Command(str):
    """A dealrescue command line a plan suggests, its words shell-quoted: a code span in markdown."""

    __slots__ = ()


def command_line(words: Any) -> Command:
    """The ``command`` filter: ``{{ ["walkaway", deal] | command }}`` is ``dealrescue walkaway 'Tailspin Toys'``."""
    import shlex

    parts = [words] if isinstance(words, str) else list(words)
    return Command(shlex.join(["dealrescue", *(strip_controls(display_value(p)).replace("\n", " ") for p in parts)]))


def _finalize(value: Any) -> str:
    if isinstance(value, Command):
        return code_span(value) if _MARKDOWN.get() else str(value)
    text = display_value(value)
    return escape_inline(text) if _MARKDOWN.get() else text


# Results larger than this from `*` or `**` are refused: a playbook cannot stall the loader.
MAX_PRODUCT = 100_000

@lru_cache(maxsize=1)
def environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        # Intercepted operators are also kept out of compile-time constant folding.
        intercepted_binops = frozenset({"*", "**", "%", "+"})

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - jinja's signature
            # Every call a template makes (a macro calling itself twice per level, say) costs a step.
            current_budget().step()
            return super().call(__context, __obj, *args, **kwargs)

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
                for seq, count in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and len(seq) * count > MAX_PRODUCT:
                        raise SecurityError("repeated text or list too long")
                if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_NUMBER_BITS:
                    raise SecurityError(f"number too large (more than {MAX_NUMBER_BITS} bits)")
            sized = isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple))
            if operator == "+" and sized and len(left) + len(right) > MAX_TEXT:
                raise SecurityError(f"text or list joined with + is longer than {MAX_TEXT:,}")
            return super().call_binop(context, operator, left, right)

    env = Sandbox(
        # Jinja's constant folding re-walks every subtree at every node: quadratic on a long
        # `a and b and ...` chain. Without it compiling is linear; operators run (and are
        # checked by call_binop) at render time instead.
        optimized=False,
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # No globals (range, lipsum, cycler, joiner, namespace): templates see plain data only.
    env.globals.clear()
    # Filters that pad or format to a width the template chooses could build huge text.
    for name in ("center", "format", "indent", "wordwrap", "filesizeformat", "xmlattr", "urlize"):
        env.filters.pop(name, None)
    # Put into every compiled template by budget.with_budget: loops counted, `~` bounded.
    env.filters["dr_loop"] = counted_loop
    env.filters["dr_concat"] = bounded_concat
    env.filters["command"] = command_line
    return env


def _parse_condition(source: str) -> Any:
    """The parsed condition, after the size check that keeps parsing quick."""
    try:
        check_condition_size(source, environment().lexer)
    except BudgetExceeded as exc:
        raise ExpressionProblem(str(exc)) from None
    return environment().parse("{{ (" + source + ") }}")


def names_in_condition(source: str) -> set[str]:
    return set(_condition_names(source))


@lru_cache(maxsize=2048)
def parsed(source: str, *, condition: bool) -> Any:
    """The parsed tree of a condition or a template, once per distinct text, for the checks to read.

    Read only: compiling rewrites a tree (``with_budget``), so it parses afresh.
    """
    return _parse_condition(source) if condition else environment().parse(source)


@lru_cache(maxsize=1024)
def _condition_names(source: str) -> frozenset[str]:
    """The names a condition reads (parsed once per distinct condition)."""
    from jinja2 import nodes

    # A single expression assigns nothing, so every name it loads comes from outside. (Jinja's
    # meta.find_undeclared_variables compiles with constant folding: quadratic, see environment().)
    return frozenset(name.name for name in parsed(source, condition=True).find_all(nodes.Name) if name.ctx == "load")


def is_plain_text(source: str) -> bool:
    """Text with nothing for Jinja to read (no ``{{``, ``{%`` or ``{#``): it renders as itself."""
    return _JINJA_TAG.search(source) is None


_JINJA_TAG = re.compile(r"\{[{%#]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def printed_names(source: str) -> set[str]:
    """Answer ids a template prints (``{{ x }}``, ``{{ labels.x }}``), not those it only tests (``{% if x %}``)."""
    from jinja2 import nodes

    found: set[str] = set()
    if is_plain_text(source):
        return found
    for output in parsed(source, condition=False).find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                continue
            for node in [child, *child.find_all((nodes.Name, nodes.Getattr, nodes.Getitem))]:
                if isinstance(node, nodes.Name) and node.ctx == "load":
                    found.add(node.name)
                elif isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "labels":
                    found.add(node.attr)
                elif (
                    isinstance(node, nodes.Getitem)
                    and isinstance(node.node, nodes.Name)
                    and node.node.name == "labels"
                    and isinstance(node.arg, nodes.Const)
                ):
                    found.add(str(node.arg.value))
    return found


def check_names(names: Iterable[str], known: set[str]) -> None:
    import difflib

    for name in sorted(names):
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ExpressionProblem(f"unknown name {name!r}{hint}")


def _explain(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "it ran out of memory building its text; playbook templates must stay small"
    if isinstance(exc, RecursionError):
        return "it calls itself too deeply"
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message.replace("\n", " ")


@lru_cache(maxsize=4096)
def _from_code(code: Any) -> Any:
    """A runnable template for compiled code, one per code object: a playbook holds the same
    condition in many places, and a template object keeps no state between renders."""
    env = environment()
    return env.template_class.from_code(env, code, env.make_globals(None), None)


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled ``when``. ``code`` is the compiled Python code, kept so it can be cached."""

    source: str
    code: Any
    _run: Callable[..., Any]

    @classmethod
    def from_code(cls, source: str, code: Any) -> Condition:
        from jinja2.environment import TemplateExpression

        return cls(source, code, TemplateExpression(_from_code(code), False))

    def holds(self, context: dict[str, Any]) -> bool:
        budget = BUDGET.set(Budget())
        try:
            return bool(self._run(**context))
        except TypeError:
            # Comparing an unanswered (none) answer, e.g. `pulse <= 3` when pulse was skipped: not true.
            return False
        except Exception as exc:  # noqa: BLE001 - any failure inside the sandbox is the playbook's
            raise ExpressionProblem(f"condition {self.source!r} failed: {_explain(exc)}") from None
        finally:
            BUDGET.reset(budget)


def compile_condition(source: str, known: set[str]) -> Condition:
    return Condition.from_code(source, _checked_code("condition", source, known, _condition_names, _condition_code))


def _checked_code(
    what: str, source: str, known: set[str], names: Callable[[str], frozenset[str]], code: Callable[[str], Any]
) -> Any:
    """The compiled code of a condition or template whose names are all ``known``; else ExpressionProblem."""
    from jinja2 import TemplateSyntaxError

    try:
        check_names(names(source), known)
        return code(source)
    except ExpressionProblem:
        raise
    except TemplateSyntaxError as exc:
        line = f" (line {exc.lineno})" if what == "template" else ""
        raise ExpressionProblem(f"{what} does not compile{line}: {_explain(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - e.g. constant folding that overflows
        raise ExpressionProblem(f"{what} does not compile: {_explain(exc)}") from None


@lru_cache(maxsize=1024)
def _condition_code(source: str) -> Any:
    """The compiled code of a condition, once per distinct text (a playbook repeats many)."""
    from jinja2 import nodes

    def assigned(tree: Any) -> Any:
        # What Environment.compile_expression does, keeping the code object for the cache.
        body = tree.body
        if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
            raise ExpressionProblem("a condition is a single expression, without {{ }} or {% %}")
        return nodes.Template([nodes.Assign(nodes.Name("result", "store"), body[0].nodes[0], lineno=1)], lineno=1)

    shared = parsed(source, condition=True)
    if _budget_changes(source, shared):
        return _generate(with_budget(assigned(_parse_condition(source))))[0]
    tree = assigned(shared)
    # The expression's nodes have the environment from the parse; the three new ones need it.
    tree.environment = tree.body[0].environment = tree.body[0].target.environment = environment()
    return _generate(tree, fresh=False)[0]


def _budget_changes(source: str, tree: Any) -> bool:
    """Whether ``with_budget`` would rewrite the tree (a loop or a ``~``). Most trees it leaves
    alone, and those are compiled from the one parse the checks read (compiling reads a tree, it
    does not change it); the others are parsed afresh, so the checks' tree stays as written."""
    from jinja2 import nodes

    if "~" not in source and "for" not in source:
        return False  # neither can be written without these
    return next(tree.find_all((nodes.For, nodes.Concat)), None) is not None


def _generate(tree: Any, *, fresh: bool = True) -> tuple[Any, frozenset[str]]:
    """Python code for a parsed template, and the names it reads from outside, in one pass.

    What ``Environment.compile`` does with ``jinja2.meta.find_undeclared_variables`` folded
    in: that is a second code generation, a tenth of the time a playbook takes to load.
    """
    import io

    env = environment()
    if fresh:  # nodes with_budget added have no environment yet
        tree.set_environment(env)
    stream = io.StringIO()
    generator = _tracking_generator()(env, None, None, stream, optimized=env.optimized)
    generator.visit(tree)
    return compile(stream.getvalue(), "<template>", "exec"), frozenset(generator.outside)


@lru_cache(maxsize=1)
def _tracking_generator() -> Any:
    """Jinja's code generator, also noting each name resolved from outside the template (as
    ``jinja2.meta.TrackingCodeGenerator`` does, while writing the code)."""
    from jinja2.compiler import CodeGenerator

    class Tracking(CodeGenerator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.outside: set[str] = set()

        def enter_frame(self, frame: Any) -> None:
            super().enter_frame(frame)
            for action, param in frame.symbols.loads.values():
                if action == "resolve" and param not in self.environment.globals:
                    self.outside.add(param)

    return Tracking


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled template. ``code`` is the compiled Python code, kept so it can be cached."""

    source: str
    code: Any
    _compiled: Any

    @classmethod
    def from_code(cls, source: str, code: Any) -> Template:
        """``code`` is None for plain text, which needs no Jinja to render."""
        return cls(source, code, None if code is None else _from_code(code))

    def render(self, context: dict[str, Any], *, markdown: bool) -> str:
        if self._compiled is None:
            # What Jinja makes of text without tags: line breaks made \n (interpolated values
            # alone are escaped for markdown, and there are none).
            return _LINE_BREAK.sub("\n", self.source).strip()
        token = _MARKDOWN.set(markdown)
        budget = BUDGET.set(Budget())
        try:
            chunks: list[str] = []
            size = 0
            # Counted as it is made, so a template that writes too much stops early.
            for chunk in self._compiled.generate(context):
                size += len(chunk)
                if size > MAX_TEXT:
                    raise BudgetExceeded(f"it writes more than {MAX_TEXT:,} characters; playbook templates must stay small")
                chunks.append(chunk)
            return "".join(chunks).strip()
        except Exception as exc:  # noqa: BLE001 - any failure inside the sandbox is the playbook's
            raise ExpressionProblem(f"template failed: {_explain(exc)}") from None
        finally:
            BUDGET.reset(budget)
            _MARKDOWN.reset(token)


def compile_template(source: str, known: set[str]) -> Template:
    if is_plain_text(source):
        return Template.from_code(source, None)
    return Template.from_code(source, _checked_code("template", source, known, _template_names, _template_code))


def _template_names(source: str) -> frozenset[str]:
    """The names a template reads from outside (its loop and set variables are its own)."""
    return _template_parts(source)[1]


def _template_code(source: str) -> Any:
    return _template_parts(source)[0]


@lru_cache(maxsize=1024)
def _template_parts(source: str) -> tuple[Any, frozenset[str]]:
    """The compiled code of a template and the names it reads, once per distinct text."""
    tree = parsed(source, condition=False)
    if _budget_changes(source, tree):
        return _generate(with_budget(environment().parse(source)))
    return _generate(tree, fresh=False)
