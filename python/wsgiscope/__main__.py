"""``python -m wsgiscope``: the ``wsgiscope`` command, run by this Python."""

import sys

from wsgiscope import main

sys.exit(main(prog="python -m wsgiscope"))
