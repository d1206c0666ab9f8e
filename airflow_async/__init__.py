"""airflow_async: an asyncio client for Apache Airflow's REST API.

Start with :class:`AirflowClient`::

    from airflow_async import AirflowClient, SessionAuth

    async with AirflowClient("http://127.0.0.1:8080", auth=SessionAuth("admin", "admin")) as af:
        async with af.xcom.harvest("~") as harvest:
            async for result in harvest:
                ...
"""

from .auth import Auth, BasicAuth, BearerToken, SessionAuth, SessionAuthFallbackWarning
from .client import AirflowClient
from .errors import (
    AirflowError,
    APIError,
    AuthenticationError,
    BadRequest,
    ClientNotOpen,
    Conflict,
    ConnectError,
    DecodeError,
    Forbidden,
    HarvestAborted,
    LoginFailed,
    NotFound,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    RunNotFound,
    ServerError,
    SessionAuthUnsupported,
    TransportError,
    Unauthorized,
    UsageError,
    ValidationError,
)
from .fanout import bounded_map
from .harvest import Harvest, HarvestResult, HarvestStats
from .models import (
    DAG,
    Connection,
    DAGRun,
    HealthInfo,
    Pool,
    TaskInstance,
    Variable,
    VersionInfo,
    XCom,
    XComEntry,
)
from .pagination import Paginator
from .retry import NO_RETRY, RetryPolicy
from .transport import ClientStats

__version__ = "0.1.0"

__all__ = [
    "DAG",
    "NO_RETRY",
    "APIError",
    "AirflowClient",
    "AirflowError",
    "Auth",
    "AuthenticationError",
    "BadRequest",
    "BasicAuth",
    "BearerToken",
    "ClientNotOpen",
    "ClientStats",
    "Conflict",
    "ConnectError",
    "Connection",
    "DAGRun",
    "DecodeError",
    "Forbidden",
    "Harvest",
    "HarvestAborted",
    "HarvestResult",
    "HarvestStats",
    "HealthInfo",
    "LoginFailed",
    "NotFound",
    "Paginator",
    "Pool",
    "RateLimited",
    "RequestTimeout",
    "ResponseTooLarge",
    "RetryPolicy",
    "RunNotFound",
    "ServerError",
    "SessionAuth",
    "SessionAuthFallbackWarning",
    "SessionAuthUnsupported",
    "TaskInstance",
    "TransportError",
    "Unauthorized",
    "UsageError",
    "ValidationError",
    "Variable",
    "VersionInfo",
    "XCom",
    "XComEntry",
    "__version__",
    "bounded_map",
]
