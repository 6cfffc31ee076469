"""Engine throughput: N synthetic citizens each register and complete a self-assessment.

Each citizen is a coroutine that sends an event, waits for its replies, and answers the
buttons it was shown, as a person would. An inbox-style processor takes whatever events are
waiting (at most one per chat) and commits them as one batch. Runs on a SQLite file database
migrated by the real migrations. Prints events/s and per-event latency (queued -> committed).

    python bench/engine.py [--citizens 300] [--batch 64]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from itertools import count
from pathlib import Path

from content import load_content
from handlers.engine import Engine
from handlers.events import Event, EventKind, Outcome
from storage import migrate
from storage.db import create_engine, make_sessionmaker
from storage.models import utcnow

Pending = tuple[Event, float, asyncio.Future[Outcome]]
_ids = count(1)


class Inbox:
    def __init__(self, engine: Engine, max_batch: int) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.latencies: list[float] = []
        self.events = 0

    async def send(self, event: Event) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        await self.queue.put((event, time.perf_counter(), future))
        return await future

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            outcomes = await self.engine.handle_batch([e for e, _, _ in batch])
            done = time.perf_counter()
            for (_, queued, future), outcome in zip(batch, outcomes, strict=True):
                self.latencies.append(done - queued)
                future.set_result(outcome)
            self.events += len(batch)


async def citizen(inbox: Inbox, name: str, content) -> None:
    def event(kind: EventKind, **fields: object) -> Event:
        return Event(
            channel="bench",
            external_user_id=name,
            chat_id=name,
            event_id=f"{name}-{next(_ids)}",
            kind=kind,
            at=utcnow(),
            **fields,
        )  # type: ignore[arg-type]

    last: Outcome = await inbox.send(event(EventKind.COMMAND, command="start"))

    async def press(label_start: str = "", payload: str = "") -> None:
        nonlocal last
        buttons = [b for r in last.replies for b in r.buttons]
        chosen = next(
            b
            for b in buttons
            if (payload and b.payload == payload)
            or (label_start and b.label.startswith(label_start))
        )
        last = await inbox.send(event(EventKind.BUTTON, payload=chosen.payload))

    async def say(text: str) -> None:
        nonlocal last
        last = await inbox.send(event(EventKind.TEXT, text=text))

    await press("Đồng ý")
    await say("Nguyễn Văn Bench")
    await say("1970")
    await press(payload="residents")
    await say("hai chau")
    await press("Đúng")
    await press("Bỏ qua")
    await press(payload="*assess")
    for indicator in content.criteria_for("residents", utcnow().year).indicators:
        if indicator.number_input is not None:
            await say(str(indicator.number_input.bands[-1].min))
        else:
            await press(payload=f"{indicator.id}:0")
    await press(payload="submit")
    await press(payload="yes")
    assert "Đã nộp" in last.replies[0].text, last.replies[0].text


async def run(citizens: int, max_batch: int) -> None:
    content = load_content()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await migrate.upgrade_async(url)
        db = create_engine(url)
        engine = Engine(make_sessionmaker(db), content)
        await engine.prepare()  # as a long-running process does at start
        inbox = Inbox(engine, max_batch)
        processor = asyncio.create_task(inbox.run())
        started = time.perf_counter()
        await asyncio.gather(*(citizen(inbox, f"c{n}", content) for n in range(citizens)))
        elapsed = time.perf_counter() - started
        processor.cancel()
        await db.dispose()
    ms = sorted(x * 1000 for x in inbox.latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(
        f"engine  citizens={citizens} batch<={max_batch}: {inbox.events} events in "
        f"{elapsed:.1f} s = {inbox.events / elapsed:,.0f} events/s; latency p50 "
        f"{statistics.median(ms):.1f} ms, p99 {p99:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--batch", type=int, default=64, help="most events per transaction")
    args = parser.parse_args()
    asyncio.run(run(args.citizens, args.batch))


if __name__ == "__main__":
    main()
