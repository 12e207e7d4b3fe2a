"""The command line. Imported before anything heavy, so Ctrl-C during start-up is caught here."""

import sys


def _quiet_interrupt(kind: type[BaseException], value: BaseException, tb: object) -> None:
    # Ctrl-C before the CLI's own handling is in place (the first ~100 ms, while modules load):
    # the same exit as a Ctrl-C anywhere else, without a traceback.
    if issubclass(kind, KeyboardInterrupt):
        import os

        sys.stderr.write("\ninterrupted\n")
        sys.stderr.flush()
        os._exit(130)
    sys.__excepthook__(kind, value, tb)  # type: ignore[arg-type]


sys.excepthook = _quiet_interrupt
