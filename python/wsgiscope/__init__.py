"""wsgiscope, a WSGI server for learning, as a Python package.

``pip install wsgiscope`` gives the ``wsgiscope`` command and ``python -m wsgiscope``. Both call
:func:`main`, which runs the server, written in Rust (the extension module
``wsgiscope._wsgiscope``), inside this Python: the app imports what this interpreter and its
virtualenv have. The command line is the same as the binary's that cargo builds.
"""

import signal
import sys
from pathlib import Path

try:
    from wsgiscope import _wsgiscope
except ImportError as missing:  # the Python code of a clone, without the built module
    raise ImportError(
        "wsgiscope's server, the extension module wsgiscope._wsgiscope, is not built next to "
        f"{__file__}: install the package (`pip install wsgiscope`, or `pip install .` in a "
        "clone), or build it in place with `maturin develop`"
    ) from missing

__all__ = ["COURSE", "main"]

#: The course installed with the package: ``lessons/`` and the ``apps/`` they run.
COURSE = Path(__file__).parent / "course"


def main(argv=None, prog="wsgiscope"):
    """Run the wsgiscope command line and return its exit code.

    ``argv`` is the arguments after the program's name (default: ``sys.argv[1:]``); ``prog``
    is the name the messages show.
    """
    args = [prog, *(sys.argv[1:] if argv is None else argv)]
    # Ctrl-C belongs to the server while it runs: the first asks it to stop cleanly, a second
    # ends an app that never returns. Python's own handler would also be called, and raise
    # KeyboardInterrupt inside the app, so Ctrl-C goes back to the system's default first,
    # as in the binary, whose embedded Python installs no signal handler.
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return _wsgiscope.main(args, str(COURSE))
    finally:
        if previous is not None:  # None: a handler Python did not install, left as it is
            signal.signal(signal.SIGINT, previous)
        # The server caught print() for the records; give Python its streams back.
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
