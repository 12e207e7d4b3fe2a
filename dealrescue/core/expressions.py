"""Conditions and templates: Jinja2 in its sandbox, over plain data, with StrictUndefined.

Two template flavours share one compiled source: ``plain`` (for JSON) and
``markdown``, whose ``finalize`` escapes every interpolated value so that an
answer can never change the plan's structure. Answers are only ever values
passed in, never template source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dealrescue.core.budget import BUDGET, MAX_TEXT, Budget, BudgetExceeded, check_condition_size, with_budget
from dealrescue.core.sandbox import MARKDOWN
from dealrescue.core.sandbox import ExpressionProblem as ExpressionProblem
from dealrescue.core.sandbox import display_value as display_value
from dealrescue.core.sandbox import environment as environment


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
    """Whether ``with_budget`` would rewrite the tree (a loop, a ``~``, a list or mapping written out). Most trees it leaves
    alone, and those are compiled from the one parse the checks read (compiling reads a tree, it
    does not change it); the others are parsed afresh, so the checks' tree stays as written."""
    from jinja2 import nodes

    if not any(mark in source for mark in ("~", "for", "[", ",", ":")):
        return False  # none can be written without one of these
    return next(tree.find_all((nodes.For, nodes.Concat, nodes.List, nodes.Dict, nodes.Tuple)), None) is not None


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
        token = MARKDOWN.set(markdown)
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
            MARKDOWN.reset(token)


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
