"""Release files, written once: a new file or an error, never an overwrite."""

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from config.csv_export import csv_lines

# Buffer this many CSV lines or JSON rows before each write.
_BATCH = 2000


class ReleaseFile:
    """A file being written: exclusive creation, sha256 and size as it goes."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> None:
        data = text.encode()
        self.digest.update(data)
        self.size += len(data)
        self.handle.write(data)

    def record(self, root: Path) -> dict[str, Any]:
        return {
            "path": str(self.path.relative_to(root)),
            "bytes": self.size,
            "sha256": self.digest.hexdigest(),
        }


@contextmanager
def new_file(path: Path) -> Iterator[ReleaseFile]:
    """Create `path`, refusing if it exists; read-only once closed.

    A file left by a failed run is removed, so the release can be tried again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        release_file = ReleaseFile(path, handle)
        try:
            yield release_file
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)
            raise
    os.chmod(path, 0o444)


def write_csv(
    release_file: ReleaseFile, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Every cell through config.csv_export, so no cell runs as a formula."""
    batch: list[str] = []
    for line in csv_lines(header, rows):
        batch.append(line)
        if len(batch) >= _BATCH:
            release_file.write("".join(batch))
            batch.clear()
    release_file.write("".join(batch))


class JsonRows:
    """A JSON object written as it goes: `head`'s keys, "rows" (one array per row,
    in the order of "columns"), then `tail`'s keys, known only after the rows."""

    def __init__(self, release_file: ReleaseFile, *, head: dict[str, Any]) -> None:
        self.file = release_file
        self.batch: list[str] = []
        self.first = True
        opening = json.dumps(head, ensure_ascii=False, indent=1)
        self.file.write(opening[:-1].rstrip() + ',\n "rows": [\n')

    def add(self, row: Sequence[Any]) -> None:
        text = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        self.batch.append(text if self.first else ",\n" + text)
        self.first = False
        if len(self.batch) >= _BATCH:
            self.file.write("".join(self.batch))
            self.batch.clear()

    def close(self, *, tail: dict[str, Any]) -> None:
        closing = json.dumps(tail, ensure_ascii=False, indent=1)
        self.file.write("".join(self.batch) + "\n ],\n" + closing[1:].lstrip("\n"))
        self.batch.clear()
