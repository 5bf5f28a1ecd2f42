"""Benchmarks on a release: the CPU baselines and the evaluation of anyone's predictions."""
