"""Waypoint's benchmark suite: ``make bench`` measures the key pages under load with wrk on
generated databases and writes docs/performance.md. Not part of ``make test``."""
