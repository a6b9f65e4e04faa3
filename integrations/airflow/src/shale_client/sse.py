"""A reader for text/event-stream (Server-Sent Events), enough for the API's log follow stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


class _EventBuilder:
    def __init__(self) -> None:
        self.event = ""
        self.data: list[str] = []
        self.id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        """One line without its newline; returns an event when a blank line ends one."""
        if line == "":
            if not self.data and not self.event:
                return None
            done = ServerSentEvent(event=self.event or "message", data="\n".join(self.data), id=self.id)
            self.event, self.data = "", []
            return done
        if line.startswith(":"):
            return None  # a comment (keep-alive)
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            self.event = value
        elif field == "data":
            self.data.append(value)
        elif field == "id":
            self.id = value
        return None


def read_events(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    builder = _EventBuilder()
    for line in lines:
        event = builder.feed(line.rstrip("\r\n"))
        if event is not None:
            yield event


async def aread_events(lines: AsyncIterator[str]) -> AsyncIterator[ServerSentEvent]:
    builder = _EventBuilder()
    async for line in lines:
        event = builder.feed(line.rstrip("\r\n"))
        if event is not None:
            yield event
