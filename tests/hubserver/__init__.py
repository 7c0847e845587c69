"""A small Hub-protocol HTTP server for tests (dataset repos only)."""

from tests.hubserver.server import HubServer

__all__ = ["HubServer"]
