"""airflow_async: an asyncio client for Apache Airflow's REST API.

Start with :class:`AirflowClient`::

    from airflow_async import AirflowClient, SessionAuth

    async with AirflowClient("http://127.0.0.1:8080", auth=SessionAuth("admin", "admin")) as af:
        async with af.xcom.harvest("~") as harvest:
            async for result in harvest:
                ...
"""

from ._validate import UNSET, UnsetType
from .api.v1 import *  # noqa: F403  (the resource classes and OPERATIONS)
from .api.v1 import __all__ as _groups_all
from .auth import Auth, BasicAuth, BearerToken, PasswordAuth, SessionAuth, SessionAuthFallbackWarning
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
    NotSupportedByServer,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    RunNotFound,
    ServerError,
    ServerNotRecognized,
    SessionAuthUnsupported,
    TransportError,
    Unauthorized,
    UsageError,
    ValidationError,
)
from .fanout import bounded_map
from .harvest import Harvest, HarvestResult, HarvestStats
from .models import *  # noqa: F403  (every model)
from .models import __all__ as _models_all
from .pagination import Paginator
from .retry import NO_RETRY, Requeue, RetryPolicy
from .transport import ClientStats

__version__ = "0.1.0"

__all__ = [
    "NO_RETRY",
    "UNSET",
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
    "DecodeError",
    "Forbidden",
    "Harvest",
    "HarvestAborted",
    "HarvestResult",
    "HarvestStats",
    "LoginFailed",
    "NotFound",
    "NotSupportedByServer",
    "PasswordAuth",
    "Paginator",
    "RateLimited",
    "RequestTimeout",
    "Requeue",
    "ResponseTooLarge",
    "RetryPolicy",
    "RunNotFound",
    "ServerError",
    "ServerNotRecognized",
    "SessionAuth",
    "SessionAuthFallbackWarning",
    "SessionAuthUnsupported",
    "TransportError",
    "Unauthorized",
    "UnsetType",
    "UsageError",
    "ValidationError",
    "__version__",
    "bounded_map",
    *_groups_all,
    *_models_all,
]
