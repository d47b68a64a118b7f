"""Benchmarks of Tanzhong (`make bench`, i.e. `python -m bench`); see docs/benchmarks.md.

A benchmark reports figures against their targets and never fails the build: `python -m bench`
exits 0 whatever the figures are (it exits non-zero only if the benchmark itself breaks, e.g. a
lifecycle does not end where it should).

- `bench.lifecycle`: complete event lifecycles through the services on a SQLite file, the same
  steps on the bare engine in memory, and the serialized state size per instance (issue #3).
- `bench.inbox`: the inbox's first page with 10,000 open events (issue #3).
- `bench.report`: the figure type and the plain-text table.
"""
