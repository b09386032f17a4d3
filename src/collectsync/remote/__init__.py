"""Remotes: where collectsync writes. ``base`` is what every adapter shares, ``dispatch`` picks
the adapter for a storage, one subpackage per kind of remote holds its adapter (``s3``, ``gcs``,
``azure``, and ``generic`` for any other Django storage), and ``weather`` with ``concurrency``
decide how hard to press the remote."""
