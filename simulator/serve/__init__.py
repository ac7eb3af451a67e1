"""The stand-in of the platform's REST API and the Data Streamer's webhook sender.

``World`` holds the served workspaces (a generated fleet's live platform, or a recorded log);
``create_app`` is the FastAPI application over it; ``serve_in_thread`` runs it in this process
(``describe`` says what a test harness needs of it); ``Streamer`` POSTs events to a webhook as
the Data Streamer does, with retries and optional duplicate deliveries.
"""

from simulator.serve.app import create_app
from simulator.serve.auth import Credentials, parse_rate
from simulator.serve.describe import describe
from simulator.serve.running import RunningServer, base_url, listen, run, serve_in_thread
from simulator.serve.stream import (
    Streamer,
    StreamReport,
    encode_events,
    encode_records,
)
from simulator.serve.world import DEFAULT_UNREGISTERED, MAX_LOG_EVENTS, World

__all__ = [
    "DEFAULT_UNREGISTERED",
    "MAX_LOG_EVENTS",
    "Credentials",
    "RunningServer",
    "StreamReport",
    "Streamer",
    "World",
    "base_url",
    "create_app",
    "describe",
    "encode_events",
    "encode_records",
    "listen",
    "parse_rate",
    "run",
    "serve_in_thread",
]
