"""The benchmark harness: instance sets, suites, the runner and its worker processes, the result store and
the reports. The command line (`alliance bench ...`, benchmarks/cli.py) drives it."""
