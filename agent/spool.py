"""The durable spool between collection and sending: bounded, crash-safe, first in first out.

Layout of a spool folder::

    lock                  held (flock / msvcrt) by the one process using the spool; holds its pid
    id                    random id of this spool; batch ids are "<id>-<seq>-<write time, hex ns>"
    cursor.json           the last acknowledged sequence number and the loss counters
    segments/NNN.seg      records, appended in order; whole segments are deleted once sent
    corrupt/              segments set aside because a record in them failed its checksum (the
                          newest, within a quarter of max_bytes)

A record is one batch, exactly as it will be sent: a header (magic, payload length, point
count, sequence number, write time, CRC32 of all that and the payload) then the payload. A
record is acknowledged by ``append`` only after it is written and, with ``fsync`` on, flushed to
disk; a ``kill -9`` at any later moment cannot lose it. A crash in the middle of a write leaves
a torn tail on the last segment, which is cut off on the next open (that record was never
acknowledged). A record that fails its checksum anywhere else marks the segment corrupt: the
file is moved to ``corrupt/``, its valid records before the damage are kept, and the event is
counted; opening never fails on bad data, so a bad file cannot cause a crash loop.

Each record keeps its sequence number for ever, so a batch re-sent after a crash carries the same
batch id and the server drops the replay. The spool never holds more than ``max_bytes`` of
segments: to make room, whole segments are dropped oldest first and the points in them counted.

Errors: :class:`SpoolError` (the folder cannot be used: read-only, full, not a folder) and its
subclass :class:`SpoolLockedError` (another process holds the spool).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import struct
import sys
import threading
import time
import zlib
from collections import deque

from vigil.agent.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: the running agent does not import typing
    from typing import IO

_MAGIC = b"VSP1"
_HEADER = struct.Struct(">4sIIQQI")  # magic, payload bytes, points, seq, written_ns, crc32
HEADER_BYTES = _HEADER.size
MAX_RECORD_PAYLOAD_BYTES = 64 * 1024 * 1024


class SpoolError(OSError):
    """The spool folder cannot be used; the message names the folder and the reason."""


class SpoolLockedError(SpoolError):
    """Another process is using this spool."""


class Batch(Record):
    """One record read back from the spool."""

    batch_id: str
    seq: int
    points: int
    written_ns: int
    payload: bytes


class SpoolCounters:
    """Totals that survive restarts (kept in cursor.json). Mutable, so a plain class."""

    __slots__ = (
        "acked_seq",
        "next_seq",
        "dropped_points",
        "dropped_batches",
        "corrupt_segments",
        "corrupt_bytes",
        "torn_tails",
    )

    def __init__(
        self,
        acked_seq: int = 0,
        next_seq: int = 1,
        dropped_points: int = 0,
        dropped_batches: int = 0,
        corrupt_segments: int = 0,
        corrupt_bytes: int = 0,
        torn_tails: int = 0,
    ) -> None:
        self.acked_seq = acked_seq
        self.next_seq = next_seq
        self.dropped_points = dropped_points
        self.dropped_batches = dropped_batches
        self.corrupt_segments = corrupt_segments
        self.corrupt_bytes = corrupt_bytes
        self.torn_tails = torn_tails

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


class SpoolStats(Record):
    bytes: int
    pending_batches: int
    pending_points: int
    oldest_unsent_age_seconds: float
    dropped_points: int
    dropped_batches: int
    corrupt_segments: int
    torn_tails: int


class _Entry(Record):
    segment: int
    offset: int
    length: int
    points: int
    seq: int
    written_ns: int


def _crc(payload_len: int, points: int, seq: int, written_ns: int, payload: bytes) -> int:
    head = struct.pack(">IIQQ", payload_len, points, seq, written_ns)
    return zlib.crc32(payload, zlib.crc32(head)) & 0xFFFFFFFF


def encode_record(payload: bytes, points: int, seq: int, written_ns: int) -> bytes:
    crc = _crc(len(payload), points, seq, written_ns, payload)
    return _HEADER.pack(_MAGIC, len(payload), points, seq, written_ns, crc) + payload


def _fsync_dir(path: str) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: str, data: bytes, fsync: bool = True) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with open(fd, "wb") as f:
        f.write(data)
        f.flush()
        if fsync:
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if fsync:
        _fsync_dir(os.path.dirname(path))


_LOCK_HELD_ERRNOS = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK})


class _FileLock:
    """An exclusive lock on a file, released by the OS when the process dies."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self, wait_seconds: float) -> None:
        f = open(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600), "a+b")  # noqa: SIM115
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                self._try_lock(f)
                break
            except OSError as exc:
                if exc.errno not in _LOCK_HELD_ERRNOS:
                    f.close()  # no locking here at all (some network file systems): say so
                    raise
                if time.monotonic() >= deadline:
                    try:
                        f.seek(0)
                        holder = f.read(32).decode("ascii", "replace").strip() or "unknown"
                    except OSError:  # Windows: the locked byte cannot be read by others
                        holder = "unknown"
                    f.close()
                    raise SpoolLockedError(
                        f"spool {os.path.dirname(self.path)} is in use by another agent (pid {holder}); "
                        "stop it first or give this agent its own state folder"
                    ) from None
                time.sleep(0.2)
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()).encode())
        f.flush()
        self._file = f

    @staticmethod
    def _try_lock(f: IO[bytes]) -> None:
        if sys.platform == "win32":
            import msvcrt

            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        else:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None


class Spool:
    """A bounded on-disk FIFO of batches. Thread-safe; one process per folder."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_bytes: int,
        segment_max_bytes: int | None = None,
        fsync: bool = True,
        lock_wait_seconds: float = 0.0,
    ) -> None:
        if max_bytes < 4096:
            raise ValueError("spool max_bytes must be at least 4096")
        self.path = os.fspath(path)  # str paths: pathlib would add ~0.4 MiB to the running agent
        self.max_bytes = max_bytes
        self.segment_max_bytes = segment_max_bytes or max(4096, max_bytes // 8)
        self.fsync = fsync
        self._lock_wait_seconds = lock_wait_seconds
        self._mutex = threading.Lock()
        self._changed = threading.Condition(self._mutex)
        self._entries: deque[_Entry] = deque()
        self._segments: dict[int, int] = {}  # segment number -> bytes on disk
        self._write_segment: int | None = None
        self._write_fd: int | None = None
        self._counters = SpoolCounters()
        self._inflight: _Entry | None = None
        self._inflight_dropped = False
        self._file_lock = _FileLock(os.path.join(self.path, "lock"))
        self.spool_id = ""
        self._open()

    # ---- opening and recovery ----

    def _open(self) -> None:
        try:
            # Host data waits here: readable by the agent's user only.
            os.makedirs(self.path, mode=0o700, exist_ok=True)
            os.makedirs(os.path.join(self.path, "segments"), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise SpoolError(f"spool folder {self.path} cannot be created: {exc.strerror or exc}") from exc
        try:
            self._file_lock.acquire(self._lock_wait_seconds)
        except SpoolLockedError:
            raise
        except OSError as exc:
            raise SpoolError(f"spool folder {self.path} cannot be used: {exc.strerror or exc}") from exc
        try:
            self._load_id()
            self._load_cursor()
            self._scan_segments()
            self._save_cursor()
        except OSError as exc:
            self._file_lock.release()
            raise SpoolError(f"spool folder {self.path} cannot be used: {exc.strerror or exc}") from exc

    def _load_id(self) -> None:
        id_path = os.path.join(self.path, "id")
        try:
            with open(id_path, encoding="ascii") as f:
                text = f.read().strip()
        except (FileNotFoundError, UnicodeDecodeError):
            text = ""
        if not (8 <= len(text) <= 40 and text.isalnum()):
            text = os.urandom(8).hex()
            _write_atomically(id_path, text.encode())
        self.spool_id = text

    def _load_cursor(self) -> None:
        cursor = os.path.join(self.path, "cursor.json")
        try:
            with open(cursor, "rb") as f:
                raw = json.loads(f.read())
            if not isinstance(raw, dict):
                raise ValueError("cursor is not a JSON object")
            self._counters = SpoolCounters(**{k: int(v) for k, v in raw.items()})
        except FileNotFoundError:
            self._counters = SpoolCounters()
        except (ValueError, TypeError):
            # Unreadable cursor: keep everything and re-send it; batch ids let the server drop
            # what it already has. The bad file is kept for inspection.
            self._set_aside(cursor)
            self._counters = SpoolCounters(corrupt_segments=1)

    def _set_aside(self, path: str) -> str:
        corrupt = os.path.join(self.path, "corrupt")
        os.makedirs(corrupt, mode=0o700, exist_ok=True)  # host data: the agent's user only
        target = os.path.join(corrupt, f"{os.path.basename(path)}.{time.time_ns()}")
        os.replace(path, target)
        self._prune_corrupt(corrupt, keep=target)
        return target

    def _prune_corrupt(self, corrupt: str, keep: str) -> None:
        """Keep ``corrupt/`` within a quarter of ``max_bytes``: the oldest set-aside files go first,
        the one just set aside stays. A failing disk that corrupts file after file must not fill
        the disk with them; the counters keep the count."""
        budget = self.max_bytes // 4
        files = []
        for entry in os.scandir(corrupt):
            if entry.is_file(follow_symlinks=False):
                stamp = entry.name.rpartition(".")[2]
                files.append((int(stamp) if stamp.isdigit() else 0, entry.path, entry.stat().st_size))
        total = sum(size for _, _, size in files)
        for _, path, size in sorted(files):
            if total <= budget:
                break
            if path != keep:
                os.unlink(path)
                total -= size

    def _scan_segments(self) -> None:
        seg_dir = os.path.join(self.path, "segments")
        names = sorted(os.listdir(seg_dir))
        for name in names:
            if name.endswith(".tmp"):
                os.unlink(os.path.join(seg_dir, name))
        numbers = []
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if name.endswith(".tmp"):
                continue
            if dot and suffix == "seg" and stem.isdigit():
                numbers.append(int(stem))
            else:
                self._set_aside(os.path.join(seg_dir, name))
        numbers.sort()
        max_seq = 0
        for index, number in enumerate(numbers):
            is_last = index == len(numbers) - 1
            entries, size = self._scan_one(number, is_last)
            pending = [e for e in entries if e.seq > self._counters.acked_seq]
            if entries:
                max_seq = max(max_seq, entries[-1].seq)
            if not pending and not is_last:
                os.unlink(self._segment_path(number))
                continue
            self._segments[number] = size
            self._entries.extend(pending)
        self._counters.next_seq = max(self._counters.next_seq, max_seq + 1, self._counters.acked_seq + 1)
        if numbers and numbers[-1] in self._segments:
            self._write_segment = numbers[-1]

    def _scan_one(self, number: int, is_last: bool) -> tuple[list[_Entry], int]:
        """Read a segment's valid records; repair a torn tail or set a corrupt file aside."""
        path = self._segment_path(number)
        with open(path, "rb") as f:
            data = f.read()
        entries: list[_Entry] = []
        offset = 0
        problem = ""
        while offset < len(data):
            rest = len(data) - offset
            if rest < HEADER_BYTES:
                problem = "torn"
                break
            magic, length, points, seq, written_ns, crc = _HEADER.unpack_from(data, offset)
            if magic != _MAGIC or length > MAX_RECORD_PAYLOAD_BYTES:
                problem = "corrupt"
                break
            if HEADER_BYTES + length > rest:
                problem = "torn"
                break
            payload = data[offset + HEADER_BYTES : offset + HEADER_BYTES + length]
            if _crc(length, points, seq, written_ns, payload) != crc or (entries and seq <= entries[-1].seq):
                # The very last record of the file failing its checksum is what a power cut in
                # the middle of a write leaves (the size grew, the data did not all land).
                problem = "torn" if offset + HEADER_BYTES + length == len(data) else "corrupt"
                break
            entries.append(_Entry(number, offset, HEADER_BYTES + length, points, seq, written_ns))
            offset += HEADER_BYTES + length
        if not problem:
            return entries, len(data)
        tail = data[offset:]
        if is_last and (problem == "torn" or not tail.strip(b"\0")):
            # A write cut short by a crash; it was never acknowledged, so cut it off.
            with open(path, "r+b") as f:
                f.truncate(offset)
                f.flush()
                os.fsync(f.fileno())
            self._counters.torn_tails += 1
            return entries, offset
        self._set_aside(path)
        _write_atomically(path, data[:offset])
        self._counters.corrupt_segments += 1
        self._counters.corrupt_bytes += len(tail)
        return entries, offset

    def _segment_path(self, number: int) -> str:
        return os.path.join(self.path, "segments", f"{number:020d}.seg")

    def _save_cursor(self) -> None:
        data = json.dumps(self._counters.as_dict()).encode()
        _write_atomically(os.path.join(self.path, "cursor.json"), data, self.fsync)

    # ---- writing ----

    def append(self, payload: bytes, points: int) -> str:
        """Write one batch durably and return its batch id; drops the oldest data if full."""
        record_bytes = HEADER_BYTES + len(payload)
        if record_bytes > self.max_bytes // 2:
            raise SpoolError(f"a batch of {record_bytes} bytes is too large for a spool of {self.max_bytes}")
        with self._changed:
            self._make_room(record_bytes)
            current = self._segments.get(self._write_segment, 0) if self._write_segment is not None else 0
            if self._write_segment is None or (current and current + record_bytes > self.segment_max_bytes):
                self._start_segment()
            assert self._write_segment is not None
            seq = self._counters.next_seq
            written_ns = time.time_ns()
            record = encode_record(payload, points, seq, written_ns)
            offset = self._segments[self._write_segment]
            self._write_record(record, offset)
            self._counters.next_seq = seq + 1
            self._segments[self._write_segment] = offset + len(record)
            self._entries.append(_Entry(self._write_segment, offset, len(record), points, seq, written_ns))
            self._changed.notify_all()
            return self.batch_id(seq, written_ns)

    def _write_record(self, record: bytes, offset: int) -> None:
        assert self._write_segment is not None
        try:
            if self._write_fd is None:
                flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
                self._write_fd = os.open(self._segment_path(self._write_segment), flags, 0o600)
            os.lseek(self._write_fd, offset, os.SEEK_SET)
            view = memoryview(record)
            while view:
                written = os.write(self._write_fd, view)
                view = view[written:]
            if self.fsync:
                os.fsync(self._write_fd)
        except OSError as exc:
            # Leave the segment exactly as it was, so nothing already written is harmed.
            if self._write_fd is not None:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._write_fd, offset)
            raise SpoolError(f"spool folder {self.path} cannot be written: {exc.strerror or exc}") from exc

    def _start_segment(self) -> None:
        self._close_write_fd()
        number = max(self._segments, default=0) + 1
        path = self._segment_path(number)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
            _fsync_dir(os.path.dirname(path))
        except OSError as exc:
            raise SpoolError(f"spool folder {self.path} cannot be written: {exc.strerror or exc}") from exc
        self._write_fd = fd
        self._write_segment = number
        self._segments[number] = 0

    def _close_write_fd(self) -> None:
        if self._write_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._write_fd)
            self._write_fd = None

    def _make_room(self, record_bytes: int) -> None:
        dropped_any = False
        while self._segments and sum(self._segments.values()) + record_bytes > self.max_bytes:
            oldest = min(self._segments)
            for entry in [e for e in self._entries if e.segment == oldest]:
                self._entries.remove(entry)
                self._counters.dropped_points += entry.points
                self._counters.dropped_batches += 1
                if self._inflight is not None and entry.seq == self._inflight.seq:
                    self._inflight_dropped = True
            if oldest == self._write_segment:
                self._close_write_fd()
                self._write_segment = None
            self._remove_segment(oldest)
            dropped_any = True
        if dropped_any:
            self._try_save_cursor()

    def _remove_segment(self, number: int) -> None:
        del self._segments[number]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._segment_path(number))

    # ---- reading and acknowledging ----

    def batch_id(self, seq: int, written_ns: int) -> str:
        return f"{self.spool_id}-{seq}-{written_ns:x}"

    def peek(self, wait_seconds: float = 0.0) -> Batch | None:
        """The oldest unsent batch, waiting up to ``wait_seconds`` for one to arrive."""
        with self._changed:
            if not self._entries and wait_seconds > 0:
                self._changed.wait(wait_seconds)
            if not self._entries:
                return None
            entry = self._entries[0]
            self._inflight, self._inflight_dropped = entry, False
            path = self._segment_path(entry.segment)
            try:
                with open(path, "rb") as f:
                    f.seek(entry.offset)
                    data = f.read(entry.length)
            except OSError as exc:
                raise SpoolError(f"spool segment {path} cannot be read: {exc.strerror or exc}") from exc
            return Batch(
                self.batch_id(entry.seq, entry.written_ns),
                entry.seq,
                entry.points,
                entry.written_ns,
                data[HEADER_BYTES:],
            )

    def ack(self, batch: Batch) -> None:
        """The batch was delivered (or deliberately dropped): never send it again."""
        with self._changed:
            if self._inflight is not None and self._inflight.seq == batch.seq and self._inflight_dropped:
                # Dropped for room while it was on its way, yet it arrived: it was not lost.
                self._counters.dropped_points -= batch.points
                self._counters.dropped_batches -= 1
            self._inflight = None
            if self._entries and self._entries[0].seq == batch.seq:
                entry = self._entries.popleft()
                if entry.segment != self._write_segment and not any(e.segment == entry.segment for e in self._entries):
                    self._remove_segment(entry.segment)
            if not self._entries and self._write_segment is not None:
                # Everything is sent: give the space back now (a full disk needs it).
                self._close_write_fd()
                self._remove_segment(self._write_segment)
                self._write_segment = None
            self._counters.acked_seq = max(self._counters.acked_seq, batch.seq)
            self._try_save_cursor()

    def _try_save_cursor(self) -> None:
        """Persist the cursor if the disk lets us; if not, a later save catches up.

        Losing a cursor update only means re-sending batches the server then drops as replays:
        a batch id also carries the record's write time, so ids never repeat even if a
        sequence number is handed out twice after a lost cursor.
        """
        try:
            self._save_cursor()
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self.path, "cursor.json.tmp"))

    # ---- reporting and closing ----

    def stats(self) -> SpoolStats:
        with self._mutex:
            oldest = self._entries[0].written_ns if self._entries else None
            c = self._counters
            return SpoolStats(
                bytes=sum(self._segments.values()),
                pending_batches=len(self._entries),
                pending_points=sum(e.points for e in self._entries),
                oldest_unsent_age_seconds=max(0.0, (time.time_ns() - oldest) / 1e9) if oldest else 0.0,
                dropped_points=c.dropped_points,
                dropped_batches=c.dropped_batches,
                corrupt_segments=c.corrupt_segments,
                torn_tails=c.torn_tails,
            )

    def wake(self) -> None:
        """Wake a reader blocked in ``peek`` (used when stopping)."""
        with self._changed:
            self._changed.notify_all()

    def close(self) -> None:
        with self._mutex:
            self._close_write_fd()
            self._file_lock.release()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
