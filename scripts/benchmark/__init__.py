"""The benchmark: one module per measurement, each run as scripts/bench NAME (s3, the default;
cloud, etags, record, release, drill), and lib/, what they share."""
