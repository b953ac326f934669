"""``python -m feedbackiq``: the same as the ``feedbackiq`` command."""

from feedbackiq._cli import main

main()
