"""Query functions grouped by aggregate. Each takes the caller's session and never commits:
the unit of work around an event decides when its writes become durable together."""

from storage.repositories import audit, chats, events, outbox

__all__ = ["audit", "chats", "events", "outbox"]
