"""Root conftest: intentionally minimal.

The real-Airflow fixtures (``airflow2``) and the automatic ``integration`` marker live in
tests/integration/conftest.py; the marker itself is declared in pyproject.toml.
"""
