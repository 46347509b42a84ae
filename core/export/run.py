"""Running an export: the database's batches fed to the synchronous workbook writer.

The writer (`core.export.sheets`, XlsxWriter) is CPU work for a worker thread; the rows
come from the export's reader on the event loop (`core.export.gather.export_source`,
`core.export.sql.SqlExport` over the export's own session). Each sheet's
rows reach the thread through a generator that asks the loop for the next batch
(`asyncio.run_coroutine_threadsafe`) and fetches one batch ahead while the thread
writes, so reading and writing overlap and at most two batches are in memory.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from core.export.gather import Batches, ExportData, ExportSource
from core.reporting.evidence import EvidenceStore
from core.status.day import Reading

if TYPE_CHECKING:
    from core.export.package import Packed

T = TypeVar("T")
Progress = Callable[[int, int], Coroutine[Any, Any, None]]  # rows written, rows in all


async def _next(batches: AsyncIterator[list[T]]) -> list[T] | None:
    return await anext(batches, None)


def _threaded(
    source: ExportSource, loop: asyncio.AbstractEventLoop, opened: list[AsyncIterator[Any]]
) -> ExportData:
    """The source as ExportData whose rows a worker thread iterates."""

    def feed(batches: Batches[T]) -> Iterator[T]:
        iterator = batches()
        opened.append(iterator)
        pending = asyncio.run_coroutine_threadsafe(_next(iterator), loop)
        while True:
            batch = pending.result()
            if batch is None:
                return
            pending = asyncio.run_coroutine_threadsafe(_next(iterator), loop)
            yield from batch

    return ExportData(
        campaign=source.campaign,
        departments=source.departments,
        bindings=feed(source.bindings),
        reports=feed(source.reports),
        evidence=feed(source.evidence),
        known_counts=source.counts,
        scoring=source.scoring,
        yearend=source.yearend,
    )


async def write_export(
    source: ExportSource,
    path: Path,
    reading: Reading,
    *,
    max_rows: int | None = None,
    store: EvidenceStore | None = None,
    progress: Progress | None = None,
) -> Packed | None:
    """Write the workbook (or with `store`, the evidence package) of `source` to `path`,
    as read at `reading` (the export's moment and the office's rules, `Settings.reading`);
    the package's counts of files packed, missing and mismatched.

    `progress` is awaited on the loop with (rows written, rows in all) as the writing
    goes (every 10,000 rows); it must not use the export's session."""
    from core.export.package import write_package
    from core.export.sheets import EXCEL_MAX_ROWS, write_workbook

    loop = asyncio.get_running_loop()
    total = source.counts.bindings + source.counts.reports + source.counts.evidence

    def told(rows: int) -> None:
        if progress is not None:
            asyncio.run_coroutine_threadsafe(progress(rows, total), loop)

    opened: list[AsyncIterator[Any]] = []
    data = _threaded(source, loop, opened)
    limit = max_rows or EXCEL_MAX_ROWS
    if store is None:
        work: Callable[[], Packed | None] = functools.partial(
            write_workbook,
            data,
            path,
            reading,
            max_rows=limit,
            progress=told,
        )
    else:
        work = functools.partial(
            write_package,
            data,
            path,
            store,
            reading,
            max_rows=limit,
            progress=told,
        )
    try:
        return await asyncio.to_thread(work)
    finally:
        for iterator in opened:  # async generators: close their streamed results now
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()
