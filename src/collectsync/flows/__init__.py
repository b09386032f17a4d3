"""The flows the command runs, each from the deploy's two halves: staging (flows.staging) and
publishing (flows.publishing). A deploy is both; ``--stage-only`` is the first into a stage
directory; ``--publish`` is the second, from one."""
