"""What the measurements share: the corpus, the harness that runs and times each tool in a
process of its own, the child that counts its requests, the latency proxy, buckets, the floor,
and the report."""
