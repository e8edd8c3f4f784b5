"""The baseline of bench_download.py: a bare httpx + asyncio downloader, nothing else.

Usage: python bench/bare_download.py URLS_FILE DEST_DIR CONCURRENCY
One URL a line, streamed to DEST_DIR/<line number>_<name> with open/write; a line
``URL<TAB>PATH`` writes to PATH instead (its folder made first).
"""

import asyncio
import sys
from pathlib import Path
from typing import TypeAlias

import httpx

#: (line number, line) of the URLs file, taken by the workers
Jobs: TypeAlias = asyncio.Queue[tuple[int, str]]


async def worker(client: httpx.AsyncClient, queue: Jobs, dest: Path) -> None:
    while not queue.empty():
        number, line = queue.get_nowait()
        url, _, path = line.partition("\t")
        target = Path(path) if path else dest / f"{number}_{url.split('?')[0].rsplit('/')[-1]}"
        async with client.stream("GET", url) as response:
            response.raise_for_status()
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:  # noqa: ASYNC230
                async for chunk in response.aiter_bytes():
                    handle.write(chunk)


async def main(lines: list[str], dest: str, concurrency: int) -> None:
    queue: Jobs = asyncio.Queue()
    for number, line in enumerate(lines):
        queue.put_nowait((number, line))
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=300) as client:
        await asyncio.gather(*(worker(client, queue, Path(dest)) for _ in range(concurrency)))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]).read_text().splitlines(), sys.argv[2], int(sys.argv[3])))
