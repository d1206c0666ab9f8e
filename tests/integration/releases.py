"""What a test expects from the release it runs against (for the compatibility matrix).

The suite adapts to a release only where the server really lacks something: a feature that a
release does not have must be refused by the client with a clear "needs Airflow X.Y" error
(:class:`~airflow_async.errors.NotSupportedByServer`), and the test asserts exactly that instead
of skipping::

    with needs_release(af, "3.2.0") as available:
        await af.xcom.delete("harvest_demo", run_id, "t", "k")
    if available:
        ...  # the assertions that only hold where the feature exists
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from airflow_async import AirflowClient, Auth
from airflow_async.errors import NotSupportedByServer
from airflow_async.versions import parse_release


def at_least(af: AirflowClient, release: str) -> bool:
    """Whether the open client's server runs ``release`` or newer."""
    assert af.server_version is not None, "open the client (async with) before asking its release"
    return af.server_version >= parse_release(release)


def server_at_least(url: str, auth: Auth, release: str) -> bool:
    """Whether the server at ``url`` runs ``release`` or newer, for a test that runs no client
    itself (a CLI or an example script): it opens one client to ask."""

    async def ask() -> bool:
        async with AirflowClient(url, auth=auth) as af:
            return at_least(af, release)

    return asyncio.run(ask())


@contextlib.contextmanager
def needs_release(af: AirflowClient, release: str) -> Iterator[bool]:
    """Run the block; on a server older than ``release`` the block must raise
    :class:`NotSupportedByServer` naming ``release`` (major.minor), which is caught here.

    Yields whether the feature is available, for the assertions that follow the block.
    """
    available = at_least(af, release)
    if available:
        yield True
        return
    wanted = ".".join(release.split(".")[:2])
    try:
        yield False
    except NotSupportedByServer as refused:
        assert wanted in str(refused), f"the refusal does not name Airflow {wanted}: {refused}"
        return
    raise AssertionError(
        f"the server runs {af.server_version}, older than {release}: the client should have "
        "refused with NotSupportedByServer before sending"
    )
