"""SQLite's writers wait in line across processes (store/db.py ``WriteQueue``), instead of
polling SQLite's busy handler: a writer in another process that would give up on the database
lock long before the first one commits waits its turn and writes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from store.db import Database

# A second process that allows SQLite's busy handler 0.2 s, and writes.
_OTHER = """
import sys, time
from sqlalchemy import text
from store.db import Database
db = Database(sys.argv[1], connect_args={"check_same_thread": False, "timeout": 0.2})
started = time.monotonic()
with db.write() as conn:
    conn.execute(text("INSERT INTO t (who) VALUES ('other')"))
print(f"{time.monotonic() - started:.3f}")
"""


def _other(url: str) -> subprocess.Popen[str]:
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-c", _OTHER, url], cwd=root, stdout=subprocess.PIPE, text=True
    )


def test_a_writer_in_another_process_waits_its_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    db = Database(url)
    waits: list[float] = []
    db.on_write_wait = waits.append
    with db.write() as conn:
        conn.execute(text("CREATE TABLE t (who TEXT NOT NULL)"))
    with db.write() as conn:
        conn.execute(text("INSERT INTO t (who) VALUES ('first')"))
        other = _other(url)
        time.sleep(1.5)  # far longer than the other's busy handler would wait
    out, _ = other.communicate(timeout=60)
    assert other.returncode == 0
    assert float(out) > 0.5  # it waited for the first to commit, then wrote
    with db.read() as conn:
        rows = conn.execute(text("SELECT who FROM t ORDER BY rowid")).scalars().all()
    assert rows == ["first", "other"]
    assert len(waits) == 2
    assert all(w >= 0 for w in waits)
    assert (tmp_path / "q.db-writers.lock").exists()
    db.dispose()


def test_a_killed_writer_leaves_no_lock_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    db = Database(url)
    with db.write() as conn:
        conn.execute(text("CREATE TABLE t (who TEXT NOT NULL)"))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom store.db import Database\n"
            "db = Database(sys.argv[1])\n"
            "with db.write() as conn:\n    print('holding', flush=True)\n    time.sleep(600)\n",
            url,
        ],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    holder.kill()
    holder.wait()
    holder.stdout.close()
    with db.write() as conn:  # the kernel dropped the dead process's lock
        conn.execute(text("INSERT INTO t (who) VALUES ('after')"))
    db.dispose()
