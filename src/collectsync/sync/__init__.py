"""Putting a stage into the remote: the plan (what is new, changed, unchanged, stale), the
uploads in parallel, the plan applied (content, manifest, sync index, in that order), and
pruning."""
