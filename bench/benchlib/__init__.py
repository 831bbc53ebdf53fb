"""Benchmark harness for uwsgid against uWSGI, Granian, Gunicorn and nginx (see bench/README.md)."""
