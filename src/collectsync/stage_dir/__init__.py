"""The stage directory of ``--stage-only DIR`` and ``--publish DIR``: the staged files, and the
build record written beside them last."""
