"""The one error tree. Each error carries the message a user sees and its exit code.

The CLI turns these into one or two stderr lines in a single place
(``dealrescue.cli.failures``); nothing else prints errors.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_PLAYBOOK = 3
EXIT_INTERRUPTED = 130


class DealRescueError(Exception):
    """Base of every error a user may see. ``hint`` says what to do about it."""

    exit_code = EXIT_RUNTIME

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        out = [f"error: {self.message}"]
        if self.hint:
            out.append(f"hint: {self.hint}")
        return out


class UsageError(DealRescueError):
    """Bad flags or arguments."""

    exit_code = EXIT_USAGE


class AnswerError(UsageError):
    """An answer that does not fit its question, or answers that are missing."""

    def __init__(self, message: str, hint: str | None = None, question_id: str | None = None) -> None:
        super().__init__(message, hint)
        self.question_id = question_id


class OutputExistsError(UsageError):
    """The output file exists and --force was not given."""


class PlaybookError(DealRescueError):
    """A playbook that cannot be read, parsed, or fails its checks.

    ``problems`` holds every problem found (each already naming file, line and key path);
    the message is the first of them.
    """

    exit_code = EXIT_PLAYBOOK

    def __init__(self, problems: list[str], hint: str | None = None) -> None:
        super().__init__(problems[0] if problems else "invalid playbook", hint)
        self.problems = problems

    def lines(self) -> list[str]:
        out = [f"error: {p}" for p in self.problems[:10]]
        if len(self.problems) > 10:
            out.append(f"error: ... and {len(self.problems) - 10} more problems")
        if self.hint:
            out.append(f"hint: {self.hint}")
        return out


class ChecksFailed(DealRescueError):
    """``playbooks validate`` or ``test`` found problems in one or more files.

    ``problems`` holds every file's problems (each naming its file), all printed; the exit
    code is 3 when a playbook is invalid or fails a test, 2 when only files are missing.
    The per-case report of ``test`` is already written, so it may carry no problems.
    """

    def __init__(self, problems: list[str], exit_code: int) -> None:
        super().__init__(problems[0] if problems else "playbook checks failed")
        self.problems = problems
        self.exit_code = exit_code

    def lines(self) -> list[str]:
        return [f"error: {p}" for p in self.problems]


class PlaybookNotFoundError(UsageError):
    """No playbook with that id or path."""


class RecordNotFoundError(UsageError):
    """An id (or prefix) that names no run or follow-up in the journal, or several.

    Raised by the journal without a hint about commands; the commands layer adds one.
    """

    def __init__(self, message: str, kind: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.kind = kind


class RunFinishedError(UsageError):
    """A change asked of a run that is already done."""

    def __init__(self, message: str, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class RunReplacedError(UsageError):
    """A run that another re-run replaced already: it can be replaced once, so the newer run is the one to change."""

    def __init__(self, run_id: str, newer: str) -> None:
        super().__init__(
            f"run {run_id} was already replaced by run {newer}",
            hint=f"change the newer plan instead: dealrescue deals rerun {newer} --set ID=VALUE",
        )
        self.run_id = run_id
        self.newer = newer


class JournalError(DealRescueError):
    """The journal is busy, damaged, or from a newer dealrescue."""


class OutputError(DealRescueError):
    """stdout could not be written: a full disk (ENOSPC), an I/O error (EIO)."""


class OutputClosed(DealRescueError):
    """The reader of a pipe closed it early (``| head``): not a failure, so exit 0 and no error
    line, whatever the size of the output. Plans are saved in the journal before they are written.
    """

    exit_code = EXIT_OK

    def lines(self) -> list[str]:
        return [self.hint] if self.hint else []


class Interrupted(DealRescueError):
    """Ctrl-C at a prompt. The message says what was kept and how to resume."""

    exit_code = EXIT_INTERRUPTED
