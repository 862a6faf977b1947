"""Benchmark scripts (run as files: .venv/bin/python benchmarks/<name>.py); a package so that
benchmarks/reports.py is not mistaken for the reports app by mypy."""
