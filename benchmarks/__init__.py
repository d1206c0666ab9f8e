"""Benchmarks: airflow_async beside the official client, httpx and bare aiohttp.

Run them all with ``make bench`` (``python -m benchmarks.run``); ``make bench-quick`` is a
smoke run. Each client runs as its own subprocess and prints one JSON line of results,
so CPU time and peak RSS are the client's alone. See :mod:`benchmarks.run`.
"""
