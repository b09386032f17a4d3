"""The sync index: collectsync's record, kept in the remote storage, of what the remote holds.

``sync_index`` is the index itself, ``wire`` how it is written, ``recorded_sources`` and
``chunks`` (read through ``recorded_files``) its two large parts, and ``stored`` how a deploy
reads it from the remote and writes it back last.
"""
