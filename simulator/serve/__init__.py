"""The stand-in of the platform's REST API and the Data Streamer's webhook sender.

``World`` holds the served workspaces (a generated fleet's live platform, or a recorded log);
``create_app`` is the FastAPI application over it; ``Streamer`` POSTs events to a webhook as the
Data Streamer does, with retries and optional duplicate deliveries.
"""

from simulator.serve.app import create_app
from simulator.serve.auth import Credentials, parse_rate
from simulator.serve.stream import (
    Streamer,
    StreamReport,
    check_url,
    encode_events,
    encode_records,
    parse_headers,
)
from simulator.serve.world import World

__all__ = [
    "Credentials",
    "StreamReport",
    "Streamer",
    "World",
    "check_url",
    "create_app",
    "encode_events",
    "encode_records",
    "parse_headers",
    "parse_rate",
]
