"""Keeping a run in the journal as it happens, so nothing typed is ever lost.

If the journal cannot be written (busy, damaged, newer), the answers given so
far go to a plain file in the data folder and the error says where.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue import paths
from dealrescue.errors import JournalError

if TYPE_CHECKING:
    from dealrescue.core.model import Playbook
    from dealrescue.core.plan import Plan
    from dealrescue.journal import Journal


class Recorder:
    """Records one run. With ``enabled=False`` (``--no-save``) it keeps nothing."""

    def __init__(self, *, enabled: bool, run_id: str | None = None, notify: Callable[[str], None] | None = None) -> None:
        self.enabled = enabled
        self.notify = notify
        self.run_id = run_id
        self.kept: dict[str, Any] = {}
        self.deal = ""
        self._journal: Journal | None = None

    def _open(self) -> Journal:
        if self._journal is None:
            from dealrescue.journal import Journal

            self._journal = Journal.open(notify=self.notify)
        return self._journal

    def start(self, *, deal: str, playbook_id: str, version: int, source: str, plan_date: str, options: dict[str, Any]) -> None:
        self.deal = deal
        if not self.enabled or self.run_id is not None:
            return
        self.run_id = self._guard(
            lambda: self._open().start_run(
                deal=deal,
                playbook_id=playbook_id,
                playbook_version=version,
                playbook_source=source,
                plan_date=plan_date,
                options=options,
            )
        )

    def journal(self) -> Journal | None:
        """The journal this run is being recorded in (already open), or None under ``--no-save``."""
        if not self.enabled or self.run_id is None:
            return None
        return self._open()

    def answer(self, question_id: str, value: Any) -> None:
        self.kept[question_id] = value
        if self.enabled and self.run_id is not None:
            run_id = self.run_id
            self._guard(lambda: self._open().save_answer(run_id, question_id, value))

    def rename(self, deal: str) -> None:
        """The deal's new name (changed on the review screen)."""
        if self.enabled and self.run_id is not None:
            run_id = self.run_id
            self._guard(lambda: self._open().rename_run(run_id, deal))

    def forget(self, question_id: str) -> None:
        """An answer to a question that no longer applies (an earlier answer changed): drop it."""
        self.kept.pop(question_id, None)
        if self.enabled and self.run_id is not None:
            run_id = self.run_id
            self._guard(lambda: self._open().forget_answer(run_id, question_id))

    def interrupted(self) -> str:
        """Mark the run interrupted; return the sentence saying what was kept."""
        if not self.enabled:
            return f"{len(self.kept)} answer(s) given; --no-save was set, so nothing was kept"
        if self.run_id is None:
            return "no answer had been given yet; nothing to keep"
        run_id = self.run_id
        self._guard(lambda: self._open().set_status(run_id, "interrupted"))
        return f"{len(self.kept)} answer(s) kept in the journal as run {run_id}"

    def finish(
        self, plan: Plan, *, replaces: str | None = None, playbook: Playbook | None = None, draft: bool = False,
    ) -> None:
        """Keep the plan (as markdown and JSON, whatever format was asked for); with ``playbook``, also
        what scored it and when to ask for its outcome; a ``draft`` (made after the key questions) also
        gets a to-do: finish it."""
        if not self.enabled or self.run_id is None:
            return
        from dealrescue.core.render.plan import to_json, to_markdown

        run_id = self.run_id
        scoring: dict[str, Any] | None = None
        asked_on: str | None = None
        if playbook is not None:
            from dealrescue.core.outcomes import outcome_due, scoring_record

            scoring = scoring_record(playbook, plan)
            due = outcome_due(playbook, plan)
            asked_on = None if due is None else due.isoformat()
        followups = [(f.text.plain, f.due.isoformat()) for f in plan.followups]
        steps = [(s.text.plain, s.due.isoformat(), s.owner) for s in plan.steps]
        if draft:
            finish = f"Finish the {plan.playbook_id} for {plan.deal}: dealrescue resume {run_id}"
            steps.insert(0, (finish, plan.date.isoformat(), "rep"))
        self._guard(
            lambda: self._open().finish_run(
                run_id,
                verdict_id=plan.verdict.id,
                verdict_title=plan.verdict.title,
                plan_markdown=to_markdown(plan),
                plan_json=to_json(plan),
                followups=followups,
                steps=steps,
                scoring=scoring,
                outcome_due=asked_on,
                replaces=replaces,
                draft=draft,
            )
        )

    def kept_for_newer(self, newer: str) -> str | None:
        """The run refused at save time kept (interrupted, to replace ``newer`` when resumed); its id,
        or None when nothing was recorded."""
        if not self.enabled or self.run_id is None:
            return None
        run_id = self.run_id
        self._guard(lambda: self._open().keep_for_newer(run_id, newer))
        return run_id

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def _guard(self, action: Any) -> Any:
        try:
            return action()
        except JournalError as exc:
            kept_at = self._keep_in_file()
            where = f"your answers so far are kept in {kept_at}; rerun with --answers {kept_at}" if kept_at else None
            hint = f"{where} (add --no-save to go on without the journal)" if where else exc.hint
            raise JournalError(exc.message, hint=hint) from None

    def _keep_in_file(self) -> Path | None:
        """Write the answers to a new file of their own (0600), whole or not at all: in the data
        folder, else (a full or read-only disk) in a private folder of the temporary folder."""
        if not self.kept:
            return None
        # With the deal name, so that --answers FILE replays the run as it was.
        kept = {"deal": self.deal, **self.kept} if self.deal else self.kept
        data = json.dumps(kept, indent=2, ensure_ascii=False).encode("utf-8")
        for folder in (paths.user_dir() / "unsaved", _private_temp_folder()):
            if folder is None:
                continue
            try:
                paths.ensure_private_dir(folder)
            except OSError:
                continue
            written = self._write_kept(folder, data)
            if written is not None:
                return written
        return None

    def _write_kept(self, folder: Path, data: bytes) -> Path | None:
        import secrets

        paths.remove_stale_temps(folder)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        # Unique even for two runs failing in the same second: each is told about its own file.
        target = folder / f"answers-{stamp}-{self.run_id or secrets.token_hex(3)}.json"
        tmp = folder / paths.temp_name(target.name)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                os.fchmod(fd, 0o600)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.link(tmp, target)  # fails rather than replace a file of the same name
            return target
        except OSError:
            return None
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _private_temp_folder() -> Path | None:
    """``dealrescue-UID`` in the temporary folder, if it is this user's alone (made 0700 when missing)."""
    import stat
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"dealrescue-{os.getuid()}"
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    # Another user could have made it first (or a link to elsewhere): then it is not used.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return folder
