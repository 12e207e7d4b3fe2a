"""The flat `key: value` fast path of read_yaml reads exactly what PyYAML reads, or steps aside."""

import random

import pytest

from dealrescue.core.yamlread import YamlProblem, _read_flat, read_with_pyyaml, read_yaml

VALUES = [
    "Globex", "not_signed", "Dana Ruiz, CFO", "Lee, IT", "R&D (EMEA)", "don't know", "a/b + c", "v2",
    "0", "7", "-3", "30000", "007", "1_000", "+5", "3.5", "1e3", "0x1F", "1:30", "2026-11-22",
    "yes", "No", "TRUE", "off", "On", "null", "Null", "~", "", "y", "n", "nope", "yesterday", "Onboarding",
    "'quoted'", '"quoted"', "a: b", "a #b", "a#b", "[x]", "{x}", "*ref", "&anchor", "!tag x", "%pct",
    "@mention", "`tick", "|", ">", "- item", "text  ", "two  spaces", "x:", "José", "tab\there", ".inf", "=",
]
KEYS = ["competitor", "deal_size", "_private", "yes", "on", "Null", "2x", "with-dash", "ümlaut"]


def _both(text: str) -> tuple[object, object]:
    fast = _read_flat(text)
    try:
        slow = read_with_pyyaml(text)
    except YamlProblem as exc:
        return fast, f"problem: {exc.message}"
    return fast, slow


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("key", KEYS)
def test_one_line_reads_as_pyyaml_does_or_is_left_to_it(key: str, value: str) -> None:
    text = f"{key}: {value}\n"
    fast, slow = _both(text)
    if fast is not None:
        assert not isinstance(slow, str), f"fast path read {text!r} that PyYAML refuses: {slow}"
        assert (fast.data, fast.lines) == (slow.data, slow.lines)
        assert all(type(fast.data[k]) is type(slow.data[k]) for k in fast.data)


def test_the_usual_answers_file_takes_the_fast_path_and_keeps_its_lines() -> None:
    text = "# triage answers\ncompetitor: Globex\n\nsigned: not_signed\n  # indented note\npressure: 4\ndecider: Dana Ruiz, CFO\n"
    fast = _read_flat(text)
    assert fast is not None
    assert fast.data == {"competitor": "Globex", "signed": "not_signed", "pressure": 4, "decider": "Dana Ruiz, CFO"}
    assert fast.lines == {(): 2, ("competitor",): 2, ("signed",): 4, ("pressure",): 6, ("decider",): 7}
    assert read_yaml(text.encode()) == fast
    slow = read_with_pyyaml(text)
    assert (slow.data, slow.lines) == (fast.data, fast.lines)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key: PyYAML's reader names the line
        "a: 1\r\nb: 2\r\n",
        "---\na: 1\n",
        "a: 1\n  b: 2\n",
        "",
        "# only a comment\n",
        "a: 1 # trailing comment\n",
        "a:\n",
        "a: x\tb\n",
        "a: \x1b[31mred\n",
        "version: " + "9" * 19 + "\n",
        "version: " + "9" * 5000 + "\n",  # past Python's int limit: PyYAML's reader reports it
    ],
)
def test_anything_else_is_left_to_pyyaml(text: str) -> None:
    assert _read_flat(text) is None


def test_random_lines_never_disagree_with_pyyaml() -> None:
    rng = random.Random(20261130)
    alphabet = "aZ09 ,.'()/&+_-:#\"[]{}*!|>%@`~=?\t"
    checked = 0
    for _ in range(3000):
        lines = []
        for _ in range(rng.randint(1, 4)):
            key = rng.choice(["a", "b", "deal", "on", "x_1"])
            value = rng.choice(VALUES) if rng.random() < 0.5 else "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
            lines.append(f"{key}: {value}")
        text = "\n".join(lines) + "\n"
        fast, slow = _both(text)
        if fast is None:
            continue
        checked += 1
        assert not isinstance(slow, str), f"{text!r}: {slow}"
        assert (fast.data, fast.lines) == (slow.data, slow.lines), text
    assert checked > 100  # the fast path is really exercised, not skipped every time


def test_every_bool_and_null_spelling_is_left_to_pyyaml() -> None:
    for base in ("yes", "no", "true", "false", "on", "off", "null"):
        for word in {base, base.capitalize(), base.upper()}:
            for text in (f"a: {word}\n", f"{word}: a\n"):
                assert _read_flat(text) is None, text
