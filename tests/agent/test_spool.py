"""The spool on a real file system: order, bounds, restarts, torn and corrupt files, locks."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from pathlib import Path

import pytest
from vigil.agent.cli import main
from vigil.agent.enrollment import Credential, save_credential
from vigil.agent.sender import Batcher
from vigil.agent.spool import HEADER_BYTES, Spool, SpoolError, SpoolLockedError
from vigil.agent.wire import Point


def _drain(spool: Spool) -> list[bytes]:
    out = []
    while (batch := spool.peek()) is not None:
        out.append(batch.payload)
        spool.ack(batch)
    return out


def _segments_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path / "segments").glob("*.seg"))


def test_fifo_order_and_ack_survive_restart(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    ids = [spool.append(f"m v={i}i {i}\n".encode(), 1) for i in range(10)]
    assert len(set(ids)) == 10
    for _ in range(4):
        batch = spool.peek()
        assert batch is not None
        spool.ack(batch)
    spool.close()

    spool = Spool(tmp_path, max_bytes=1 << 20)
    batch = spool.peek()
    assert batch is not None and batch.batch_id == ids[4]  # same id after a restart
    rest = _drain(spool)
    assert rest == [f"m v={i}i {i}\n".encode() for i in range(4, 10)]
    spool.close()

    # A restart with an empty spool sends nothing again, and new ids never repeat old ones.
    spool = Spool(tmp_path, max_bytes=1 << 20)
    assert spool.peek() is None
    new_id = spool.append(b"m v=1i 1\n", 1)
    assert new_id not in ids
    spool.close()


def test_spool_files_are_private(tmp_path: Path) -> None:
    with Spool(tmp_path / "spool", max_bytes=1 << 20) as spool:
        spool.append(b"secret host data\n", 1)
        batch = spool.peek()
        assert batch is not None
        spool.ack(batch)
        spool.append(b"more\n", 1)
    for path in [tmp_path / "spool", *(tmp_path / "spool").rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode & 0o077 == 0, (path, oct(mode))


def test_full_spool_drops_oldest_whole_segments_and_counts_points(tmp_path: Path) -> None:
    cap = 16 * 1024
    spool = Spool(tmp_path, max_bytes=cap, segment_max_bytes=2048, fsync=False)
    payload = b"x" * 200
    for i in range(500):
        spool.append(payload, i % 7 + 1)
        assert _segments_bytes(tmp_path) <= cap
        assert spool.stats().bytes <= cap
    stats = spool.stats()
    written_points = sum(i % 7 + 1 for i in range(500))
    assert stats.dropped_points + stats.pending_points == written_points
    assert stats.dropped_points > 0
    # What is left is the newest data, in order.
    seqs = []
    while (batch := spool.peek()) is not None:
        seqs.append(batch.seq)
        spool.ack(batch)
    assert seqs == list(range(500 - len(seqs) + 1, 501))
    spool.close()


def test_batch_too_large_for_the_spool_is_refused(tmp_path: Path) -> None:
    with Spool(tmp_path, max_bytes=8192) as spool:
        spool.append(b"a" * 100, 1)
        with pytest.raises(SpoolError, match="too large"):
            spool.append(b"x" * 8000, 1)
        assert _drain(spool) == [b"a" * 100]


def test_torn_tail_is_cut_off_and_earlier_records_kept(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    for i in range(3):
        spool.append(f"line {i}\n".encode(), 1)
    spool.close()
    segment = sorted((tmp_path / "segments").glob("*.seg"))[-1]
    data = segment.read_bytes()
    segment.write_bytes(data[:-3])  # the last write was cut short by a crash

    spool = Spool(tmp_path, max_bytes=1 << 20)
    assert spool.stats().torn_tails == 1
    assert _drain(spool) == [b"line 0\n", b"line 1\n"]
    spool.append(b"after\n", 1)
    assert _drain(spool) == [b"after\n"]
    spool.close()


def test_corrupt_segment_is_set_aside_counted_and_never_crashes(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20, segment_max_bytes=4096)
    for i in range(40):
        spool.append(f"line {i:03d} ".encode() * 20 + b"\n", 1)
    spool.close()
    segments = sorted((tmp_path / "segments").glob("*.seg"))
    assert len(segments) >= 3
    first = segments[0]
    data = bytearray(first.read_bytes())
    record = HEADER_BYTES + len(b"line 000 " * 20 + b"\n")
    data[record + HEADER_BYTES + 5] ^= 0xFF  # flip a bit inside the second record's payload
    first.write_bytes(bytes(data))
    (tmp_path / "segments" / "garbage.txt").write_text("not a segment")

    spool = Spool(tmp_path, max_bytes=1 << 20, segment_max_bytes=4096)
    stats = spool.stats()
    assert stats.corrupt_segments == 1
    corrupt = sorted(p.name for p in (tmp_path / "corrupt").iterdir())
    assert any(name.startswith(first.name) for name in corrupt)
    assert any(name.startswith("garbage.txt") for name in corrupt)
    payloads = _drain(spool)
    # The first record of the damaged segment and every later segment are intact.
    assert payloads[0] == b"line 000 " * 20 + b"\n"
    per_segment = (4096 // record) or 1
    assert len(payloads) == 40 - per_segment + 1
    spool.close()


def test_last_record_failing_its_checksum_is_a_torn_write(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    for i in range(3):
        spool.append(f"line {i}\n".encode(), 1)
    spool.close()
    segment = sorted((tmp_path / "segments").glob("*.seg"))[-1]
    data = bytearray(segment.read_bytes())
    data[-3:] = b"\0\0\0"  # the size grew but the last bytes never landed (power cut)
    segment.write_bytes(bytes(data))
    with Spool(tmp_path, max_bytes=1 << 20) as spool:
        assert (spool.stats().torn_tails, spool.stats().corrupt_segments) == (1, 0)
        assert _drain(spool) == [b"line 0\n", b"line 1\n"]


@pytest.mark.parametrize("cursor", ["{not json", "[1, 2]", '{"acked_seq": "x"}', '{"bogus": 1}'])
def test_corrupt_cursor_resends_everything_with_the_same_batch_ids(tmp_path: Path, cursor: str) -> None:
    spool = Spool(tmp_path, max_bytes=1 << 20)
    ids = [spool.append(f"l {i}\n".encode(), 1) for i in range(3)]
    batch = spool.peek()
    assert batch is not None
    spool.ack(batch)
    spool.close()
    (tmp_path / "cursor.json").write_text(cursor)

    spool = Spool(tmp_path, max_bytes=1 << 20)
    seen = []
    while (b := spool.peek()) is not None:
        seen.append(b.batch_id)
        spool.ack(b)
    assert seen == ids  # at-least-once: the server drops the replayed first batch by its id
    assert spool.stats().corrupt_segments == 1
    spool.close()
    assert json.loads((tmp_path / "cursor.json").read_text())["acked_seq"] == 3


def test_second_user_of_a_spool_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    first = Spool(tmp_path, max_bytes=1 << 20)
    with pytest.raises(SpoolLockedError, match="in use by another agent"):
        Spool(tmp_path, max_bytes=1 << 20, lock_wait_seconds=0.3)
    first.close()
    second = Spool(tmp_path, max_bytes=1 << 20, lock_wait_seconds=0.3)
    second.close()


def test_second_user_waits_for_the_lock_when_told_to(tmp_path: Path) -> None:
    first = Spool(tmp_path, max_bytes=1 << 20)
    first.append(b"from the first\n", 1)
    releaser = threading.Timer(0.5, first.close)
    releaser.start()
    second = Spool(tmp_path, max_bytes=1 << 20, lock_wait_seconds=30)  # blocks until the first closes
    releaser.join()
    assert _drain(second) == [b"from the first\n"]
    second.close()


def test_full_folder_keeps_what_is_stored_and_recovers(tiny_fs: Path) -> None:
    spool = Spool(tiny_fs / "spool", max_bytes=1 << 20, segment_max_bytes=1 << 20)
    stored = []
    with pytest.raises(SpoolError, match="No space left"):
        for i in range(1000):
            spool.append(f"{i:05d}".encode() * 200, 1)
            stored.append(f"{i:05d}".encode() * 200)
    assert len(stored) > 5
    assert _drain(spool)[: len(stored)] == stored  # nothing stored before the disk filled is lost
    spool.append(b"fits again\n", 1)
    assert _drain(spool) == [b"fits again\n"]
    spool.close()


def test_read_only_folder_is_a_clear_error_and_loses_nothing(tiny_fs: Path) -> None:
    spool = Spool(tiny_fs / "spool", max_bytes=1 << 20)
    spool.append(b"kept\n", 1)
    spool.close()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    with pytest.raises(SpoolError, match="Read-only file system"):
        Spool(tiny_fs / "spool", max_bytes=1 << 20)
    subprocess.run(["mount", "-o", "remount,rw", str(tiny_fs)], check=True)
    with Spool(tiny_fs / "spool", max_bytes=1 << 20) as spool:
        assert _drain(spool) == [b"kept\n"]


def test_batcher_on_a_full_disk_counts_lost_points_and_logs_once(
    tiny_fs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tiny_fs / "filler").write_bytes(b"\0" * 40 * 1024)
    spool = Spool(tiny_fs / "spool", max_bytes=1 << 20, segment_max_bytes=1 << 20, fsync=False)
    batcher = Batcher(spool, max_bytes=64 * 1024, max_age_seconds=60)
    with caplog.at_level(logging.ERROR, logger="vigil.agent.sender"):
        for i in range(40):
            batcher.add([Point("mem", {}, {"used_bytes": i, "pad": os.urandom(300).hex()}, i)] * 10)
            batcher.flush()
    stored = spool.stats().pending_points
    assert stored > 0 and batcher.unspooled_points > 0
    assert stored + batcher.unspooled_points == 400
    assert len([r for r in caplog.records if "No space left" in r.message]) == 1
    spool.close()


def test_run_on_a_read_only_state_folder_exits_with_the_reason(
    tiny_fs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_credential(tiny_fs / "credential.json", Credential("http://127.0.0.1:9", "n", "c", "a", "s", "h"))
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    assert main(["--state-dir", str(tiny_fs), "run"]) == 1
    assert "Read-only file system" in capsys.readouterr().err
    subprocess.run(["mount", "-o", "remount,rw", str(tiny_fs)], check=True)


def test_set_aside_files_stay_within_a_quarter_of_the_spool_and_private(tmp_path: Path) -> None:
    cap, payload = 16 * 1024, b"p" * 1500
    for round_number in range(1, 5):
        with Spool(tmp_path, max_bytes=cap, segment_max_bytes=4096, fsync=False) as spool:
            for _ in range(3):
                spool.append(payload, 1)  # two records a segment: two segments
        first = sorted((tmp_path / "segments").glob("*.seg"))[0]
        data = bytearray(first.read_bytes())
        data[HEADER_BYTES + 10] ^= 0xFF  # the first record of the first segment is damaged
        first.write_bytes(bytes(data))
        with Spool(tmp_path, max_bytes=cap, segment_max_bytes=4096, fsync=False) as spool:
            assert spool.stats().corrupt_segments == round_number  # every one counted...
            assert _drain(spool) == [payload]  # ...and the intact segment still sent
        kept = list((tmp_path / "corrupt").iterdir())
        assert sum(p.stat().st_size for p in kept) <= cap // 4  # ...but only the newest kept
        assert len(kept) == 1 and kept[0].read_bytes() == bytes(data)
    assert (tmp_path / "corrupt").stat().st_mode & 0o077 == 0
