"""``python -m airflow_async``: the ``airflow-async`` command line."""

from .cli import main

raise SystemExit(main())
