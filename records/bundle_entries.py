"""Checking a bundle's entries one by one, here and in worker processes.

Each entry on its own: its inclusion in the checkpoint's tree (remembering proven nodes), its
envelope and statement, its signature by a records key valid at its time, its scope. What needs
the entries in order (seqs, ballots before voting closed) is :mod:`records.bundle`'s part.

Ed25519 verification holds the interpreter lock, so a big bundle is checked in other processes
as well: fresh interpreters running :mod:`records.bundle_worker`, fed through pipes. They share
no memory with this process and run none of its caller's code.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import pickle
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from policies.errors import DomainError
from records import dsse
from records.keylist import KeyList
from records.logentry import parse_entry
from records.merkle import InclusionVerifier, ProofError

PARALLEL_FROM = 8000  # entries: below this, starting a worker costs more than it saves
CHUNK = 2500  # entries a worker takes at a time


@dataclass(slots=True)
class ListedKeyState:
    purpose: str
    revoked: bool
    start: datetime
    end: datetime | None
    public: Ed25519PublicKey
    raw: bytes


class Signatures:
    """Who may sign what, when, by the trusted key list; with each key's state at hand."""

    def __init__(self, keys: KeyList | None) -> None:
        self.keys = keys
        self.listed: dict[str, ListedKeyState] = {}
        for key in keys.keys if keys is not None else ():
            public = key.ed25519()
            self.listed[key.key_id] = ListedKeyState(
                key.purpose,
                key.status == "revoked",
                key.start,
                key.end,
                public,
                public.public_bytes_raw(),
            )

    def signing_key(self, key_id: str, purpose: str, at: str) -> Ed25519PublicKey | str:
        """The public key of ``key_id`` if it could sign a ``purpose`` statement at ``at``;
        else the reason why not."""
        listed = self.listed.get(key_id)
        if listed is not None and listed.purpose == purpose and not listed.revoked:
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                when = None
            if (
                when is not None
                and listed.start <= when
                and (listed.end is None or when < listed.end)
            ):
                return listed.public
        if self.keys is None:
            return f"signed by key {key_id}, but there is no usable key list to check it with"
        try:
            return self.keys.check_signed_at(key_id, purpose, at)
        except DomainError as exc:
            return exc.detail

    def any_time_key(self, key_id: str, purpose: str) -> Ed25519PublicKey | str:
        listed = self.listed.get(key_id)
        if listed is None or listed.purpose != purpose or listed.revoked:
            return f"got key id {key_id!r}, expected a {purpose} key of the key list, not revoked"
        return listed.public

    def problems(self, envelope: dsse.Envelope, purpose: str, at: str | None) -> Sequence[str]:
        """Every reason the envelope's signatures do not hold (none: they all do)."""
        message = dsse.pae(envelope.payload_type, envelope.payload)
        signatures = envelope.signatures
        if len(signatures) == 1 and at is not None:  # the usual case, quickly
            signature = signatures[0]
            key = self.signing_key(signature.keyid, purpose, at)
            if not isinstance(key, str):
                try:
                    key.verify(signature.sig, message)
                except InvalidSignature:
                    pass
                else:
                    return ()
        problems: list[str] = []
        for signature in signatures:
            if at is None:
                key = self.any_time_key(signature.keyid, purpose)
            else:
                key = self.signing_key(signature.keyid, purpose, at)
            if isinstance(key, str):
                problems.append(key)
                continue
            try:
                key.verify(signature.sig, message)
            except InvalidSignature:
                problems.append(
                    f"signature by key {signature.keyid} does not match the payload and its type"
                )
        return problems


@dataclass(frozen=True)
class EntryRules:
    """Everything checking one entry on its own needs (picklable, for worker processes)."""

    keys: KeyList | None
    tree: tuple[int, bytes] | None  # the checkpoint's (size, root)
    scopes: tuple[str, ...]
    subject: str  # what the bundle is of, as a report names it: round <id>, campaign <id>


class Checked(NamedTuple):
    """One entry, checked on its own: its problems, and what the checks in order need."""

    entry: int  # its index in the tree
    problems: tuple[str, ...]
    good: bool  # included, parsed, signed by a key valid then, of a scope of the bundle
    scope: str | None  # None: the entry did not parse
    seq: int
    type: str
    at: str
    data: dict[str, Any] | None


class EntryChecker:
    """Checks entries one by one: inclusion in the checkpoint's tree (remembering proven
    nodes), the envelope and statement, the signature and its key, the scope."""

    def __init__(self, rules: EntryRules) -> None:
        self.rules = rules
        self.signatures = Signatures(rules.keys)
        self.inclusion = None if rules.tree is None else InclusionVerifier(*rules.tree)
        self.scopes = frozenset(rules.scopes)

    def check(self, items: Iterable[tuple[int, object, object]]) -> list[Checked]:
        inclusion, signatures, scopes = self.inclusion, self.signatures, self.scopes
        sha256 = hashlib.sha256
        out: list[Checked] = []
        for index, text, proof in items:
            problems: list[str] = []
            if not isinstance(text, str):
                problems.append(f"got envelope {type(text).__name__}, expected a string")
                out.append(Checked(index, tuple(problems), False, None, 0, "", "", None))
                continue
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError:
                problems.append("envelope is not valid UTF-8 text")
                out.append(Checked(index, tuple(problems), False, None, 0, "", "", None))
                continue
            if inclusion is not None:
                if not isinstance(proof, list):
                    problems.append(f"got proof {proof!r:.40}, expected a list")
                else:
                    try:
                        inclusion.verify_base64(index, sha256(b"\x00" + data).digest(), proof)
                    except ProofError as exc:
                        problems.append(f"not in the checkpoint's tree: {exc.detail}")
            try:
                entry = parse_entry(data)
            except DomainError as exc:
                problems.append(exc.detail)
                out.append(Checked(index, tuple(problems), False, None, 0, "", "", None))
                continue
            statement = entry.statement
            problems.extend(signatures.problems(entry.envelope, "records", statement.at))
            if statement.scope not in scopes:
                problems.append(
                    f"scope {statement.scope!r} does not belong in the bundle of "
                    f"{self.rules.subject} (only {', '.join(sorted(scopes))})"
                )
            out.append(
                Checked(
                    index,
                    tuple(problems),
                    not problems,
                    statement.scope,
                    statement.seq,
                    statement.type,
                    statement.at,
                    statement.data,
                )
            )
        return out


def spare_cpus() -> int:
    """The CPUs this process may use besides its own. A worker on a CPU that turns out busy
    costs little: shares go to whichever process is free, this one included."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(0, min(cpus - 1, 7))


def worker_command() -> list[str]:
    """How to start a checking process: a fresh interpreter running
    :mod:`records.bundle_worker` (it shares no memory with this one and runs none of its
    code but that)."""
    return [sys.executable, "-m", "records.bundle_worker"]


class Workers:
    """Checking processes fed with shares of the entries, each through a pipe by a thread of
    its own; another thread per process reads the results back. A share is taken by a worker
    or by this process, never by both; what a worker does not answer is checked here."""

    def __init__(
        self, rules: EntryRules, items: list[tuple[int, object, object]], count: int, first: int
    ) -> None:
        import threading

        self.items = items
        self.shares = [(a, min(a + CHUNK, len(items))) for a in range(first, len(items), CHUNK)]
        self.remaining = collections.deque(self.shares)
        self.results: dict[int, list[Checked]] = {}
        self.unanswered: dict[int, collections.deque[tuple[int, int]]] = {}
        self.alive: set[int] = set()
        self.changed = threading.Condition()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.threads: list[threading.Thread] = []
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        for n in range(count):
            try:
                process = subprocess.Popen(
                    worker_command(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except (OSError, ValueError):
                break
            self.processes.append(process)
            self.unanswered[n] = collections.deque()
            self.alive.add(n)
            for target in (self._feed, self._read):
                thread = threading.Thread(target=target, args=(n, process, rules), daemon=True)
                thread.start()
                self.threads.append(thread)

    def _feed(self, n: int, process: subprocess.Popen[bytes], rules: EntryRules) -> None:
        assert process.stdin is not None
        try:
            pickle.dump(rules, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            while True:
                with self.changed:  # two shares in hand at most: the rest stay to be taken
                    while n in self.alive and self.remaining and len(self.unanswered[n]) > 1:
                        self.changed.wait()
                    if n not in self.alive or not self.remaining:
                        break
                    share = self.remaining.popleft()
                    self.unanswered[n].append(share)
                pickle.dump(self.items[share[0] : share[1]], process.stdin, pickle.HIGHEST_PROTOCOL)
                process.stdin.flush()
        except (OSError, ValueError, pickle.PicklingError):
            self._lost(n)
        finally:
            with contextlib.suppress(OSError):
                process.stdin.close()

    def _read(self, n: int, process: subprocess.Popen[bytes], rules: EntryRules) -> None:
        assert process.stdout is not None
        while True:
            try:
                checked = pickle.load(process.stdout)  # noqa: S301 (our own worker, our pipe)
            except Exception:  # the worker ended (or said something unreadable)
                self._lost(n)
                return
            with self.changed:
                if not self.unanswered[n] or n not in self.alive:
                    return
                self.results[self.unanswered[n].popleft()[0]] = checked
                self.changed.notify_all()

    def _lost(self, n: int) -> None:
        with self.changed:
            self.alive.discard(n)
            self.changed.notify_all()

    def results_in_order(self, here: EntryChecker) -> Iterator[Checked]:
        """Every share's results in order, checking here what no worker has taken (from the
        end, while waiting) and what a worker that ended did not answer."""
        taken_back: dict[int, list[Checked]] = {}
        for a, b in self.shares:
            while True:
                with self.changed:
                    done = self.results.pop(a, None)
                    if done is None and a in taken_back:
                        done = taken_back.pop(a)
                    waiting_for_a_worker = any(
                        a == share[0] for n in self.alive for share in self.unanswered[n]
                    )
                    steal = None
                    if done is None and self.remaining:
                        steal = self.remaining.pop()
                    elif done is None and not waiting_for_a_worker:
                        steal = (a, b)  # no worker will answer for it
                        for queue in self.unanswered.values():
                            if (a, b) in queue:
                                queue.remove((a, b))
                    elif done is None:
                        self.changed.wait(0.05)
                        continue
                if done is not None:
                    yield from done
                    break
                if steal is not None:
                    taken_back[steal[0]] = here.check(self.items[steal[0] : steal[1]])

    def close(self) -> None:
        with self.changed:
            self.alive.clear()
            self.remaining.clear()
            self.changed.notify_all()
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        for thread in self.threads:
            thread.join()


def check_entries(
    rules: EntryRules, items: list[tuple[int, object, object]], workers: int
) -> Iterator[Checked]:
    """Check ``items``, yielding the results in order: here and, for a big bundle, in up to
    ``workers`` other processes at once (Ed25519 holds the interpreter lock, so threads
    would not help). The results are the same either way."""
    here = EntryChecker(rules)
    if workers < 1 or len(items) < PARALLEL_FROM or not sys.executable:
        for start in range(0, len(items), CHUNK):
            yield from here.check(items[start : start + CHUNK])
        return
    # Contiguous shares, so that each process's proven nodes serve its next entries; this
    # process starts with the first, while the workers start up.
    mine = len(items) // (workers + 1)
    pool = Workers(rules, items, workers, mine)
    try:
        for start in range(0, mine, CHUNK):
            yield from here.check(items[start : min(start + CHUNK, mine)])
        yield from pool.results_in_order(here)
    finally:
        pool.close()
