"""The ``mandate`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily: `mandate verify` must stay offline and small
    from mandate.settings import Settings

DESCRIPTION = """\
Mandate: self-organised selection of representatives.

Configuration comes from MANDATE_* environment variables (see README.md):
MANDATE_DATA_DIR, MANDATE_DATABASE_URL, MANDATE_TEMPORAL_ADDRESS, MANDATE_TEMPORAL_NAMESPACE,
MANDATE_TASK_QUEUE, MANDATE_API_HOST, MANDATE_API_PORT, MANDATE_TEMPORAL_UI_PORT,
MANDATE_TEMPORAL_BIN, MANDATE_KEYS_DIR, MANDATE_LOG_ORIGIN, MANDATE_INTEGRATE_INTERVAL,
MANDATE_KEY_ACTIVATION_DELAY, MANDATE_SMTP_HOST, MANDATE_SMTP_PORT, MANDATE_SMTP_SECURITY,
MANDATE_SMTP_USERNAME, MANDATE_SMTP_PASSWORD, MANDATE_MAIL_FROM, MANDATE_MAIL_DIR,
MANDATE_MAIL_INTERVAL, MANDATE_PUBLIC_URL, MANDATE_CONFIRMATION_TTL, MANDATE_API_PROCESSES,
MANDATE_API_ACCESS_LOG, MANDATE_METRICS_TOKEN, MANDATE_METRICS_DIR,
MANDATE_WORKER_METRICS_ADDRESS.
"""


def _up(settings: Settings, _: argparse.Namespace) -> int:
    from mandate.stack import StackError, run

    try:
        return run(settings)
    except StackError as exc:
        print(f"mandate up: {exc}", file=sys.stderr)
        return 1


def _worker(settings: Settings, _: argparse.Namespace) -> int:
    from mandate.worker import run_worker

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    asyncio.run(main())
    return 0


def _api(settings: Settings, _: argparse.Namespace) -> int:
    import os
    import shutil
    import tempfile

    # Before anything imports prometheus_client: its values go to files there, so that a
    # scrape of any of the API processes adds up all of them (api/metrics.py). A folder of
    # this `mandate api`'s own: another one's (another container's) would mix in.
    if settings.metrics_dir is not None:
        folder = settings.metrics_dir.expanduser().resolve()
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="mandate-api-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    try:
        _serve(settings)
    finally:
        if settings.metrics_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def _serve(settings: Settings) -> None:
    import uvicorn

    common: dict[str, Any] = {
        "host": settings.api_host,
        "port": settings.api_port,
        "log_level": "info",
        "access_log": settings.api_access_log,
        "timeout_graceful_shutdown": 10,
        # Idle connections close soon, and a request's line and headers stay small; the
        # body's size and time limits are the app's own (api/limits.py).
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
        # h11 for its bound on the request line and headers; uvloop (a dependency, chosen by
        # uvicorn's "auto") runs the event loop at a fraction of asyncio's cost per request.
        "http": "h11",
        "loop": "auto",
        # The client address the per-address rate limits count by: X-Forwarded-For only from
        # the reverse proxies named here.
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
    }
    if settings.api_processes > 1:
        # uvicorn's manager: N processes, each on a socket of its own (mandate/api_sockets.py),
        # a dead one replaced; it stops them all on SIGTERM or SIGINT and returns.
        from mandate.api_sockets import SocketPerProcess, listening_sockets

        config = uvicorn.Config(
            "mandate.api_process:app", factory=True, workers=settings.api_processes, **common
        )
        try:
            sockets = listening_sockets(config.host, config.port, settings.api_processes)
        except OSError as exc:
            print(
                f"mandate api: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr
            )
            sys.exit(1)
        try:
            SocketPerProcess(config, sockets).run()
        finally:
            for sock in sockets:
                sock.close()
        return

    from mandate.api_process import settled
    from web.app import create_app  # the API with the people's pages (web/)

    # uvicorn re-raises the stop signal after its graceful shutdown; a clean stop exits 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    uvicorn.run(settled(create_app(settings)), **common)


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    from mandate.bootstrap import migrate_database, prepare_data_dir

    prepare_data_dir(settings)
    migrate_database(settings)
    print("database schema is up to date")
    return 0


def _bootstrap(settings: Settings, _: argparse.Namespace) -> int:
    from mandate.bootstrap import set_up

    token = set_up(settings)
    if token is None:
        print("a secretariat token exists already; it is not shown again")
    else:
        print(f"secretariat token (shown once, also in {settings.bootstrap_token_file}):")
        print(token)
    return 0


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    from mandate import keycmd

    if args.keys_command == "list":
        print(keycmd.dump(keycmd.show(settings)))
        return 0
    try:
        old, new, at = keycmd.rotate(settings, args.purpose, args.at)
    except ValueError as exc:
        print(f"mandate keys rotate: {exc}", file=sys.stderr)
        return 1
    print(f"rotated {args.purpose} key {old} -> {new}; the new key signs from {at}")
    return 0


def _secretariat_token(settings: Settings, args: argparse.Namespace) -> int:
    from mandate import tokencmd

    return tokencmd.run(settings, args)


def _verify_exports(path: Path, answer: dict[str, Any], pins: object) -> int:
    """An export manifest (the answer of ``GET .../exports``): its signature, and every file
    it lists that sits beside it, by name."""
    from records.export_manifest import check_manifest
    from records.keylist import PublishedKeys

    if not isinstance(pins, PublishedKeys):
        print("FAILED: an export manifest is checked against --keys (the published key list)")
        return 2
    listed = answer["manifest"].get("files", [])
    files = {}
    for line in listed if isinstance(listed, list) else []:
        name = str(line.get("name", "")) if isinstance(line, dict) else ""
        beside = path.parent / name
        if name and "/" not in name and beside.is_file():
            files[name] = beside.read_bytes()
    problems, checked = check_manifest(answer["envelope"], pins.keys, files)
    for line in checked:
        print(f"  ok  {line}")
    if problems:
        print(f"FAILED: {len(problems)} problem(s) in {path}:")
        for problem in problems:
            print(f"  !!  {problem}")
        return 1
    print(f"VERIFIED: {path} ({len(files)} file(s) checked)")
    return 0


def _verify_letter(path: Path, bundle: dict[str, Any], code: str) -> int:
    """A designation letter's code, against the letters the verified round's records give."""
    from records.letter import letters_from_bundle, normalise_code

    written = normalise_code(code)
    if written is None:
        print(f"FAILED: {code!r} is not a letter code (12 letters and digits, XXXX-XXXX-XXXX)")
        return 2
    letter = letters_from_bundle(bundle).get(written)
    if letter is None:
        print(f"FAILED: no designation letter of round {bundle.get('round_id')} has code {written}")
        return 1
    print(
        f"  ok  letter {written}: seat {letter['seat']} of {letter['seats']} of constituency "
        f"{letter['constituency_id']} at {letter['forum']!r}, nomination "
        f"{letter['nomination_id']}, outcome {letter['outcome_hash']}"
    )
    print(f"VERIFIED: {path} (round {bundle.get('round_id')}, letter {written})")
    return 0


def _verify(_: Settings | None, args: argparse.Namespace) -> int:
    # Offline: only the standard library, cryptography, records and policies.
    from records.bundle import BUNDLE_FORMAT, UNSEALED_FORMAT, verify_bundle
    from records.campaign_bundle import CAMPAIGN_BUNDLE_FORMAT, verify_campaign_bundle
    from records.keylist import PublishedKeys
    from records.signatory_proof import PROOF_FORMAT, verify_signatory_proof

    path: Path = args.bundle
    try:
        with path.open(encoding="utf-8") as f:  # text, not bytes: one copy of a big file
            bundle = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"FAILED: cannot read {path} as a JSON bundle: {exc}")
        return 2
    if not isinstance(bundle, dict):
        print(f"FAILED: {path} holds JSON {type(bundle).__name__}, expected a bundle (an object)")
        return 2
    older = None
    if args.since is not None:
        try:
            older = args.since.read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            print(f"FAILED: cannot read {args.since} as a signed checkpoint: {exc}")
            return 2
    kind = bundle.get("format")
    pins: tuple[str, ...] | PublishedKeys = tuple(args.key_id or ())
    if args.keys is not None:
        from mandate.published_keys import KeySourceError, load

        try:
            pins = load(args.keys)
        except KeySourceError as exc:
            print(f"FAILED: {exc}")
            return 1
    if isinstance(bundle.get("manifest"), dict) and "envelope" in bundle:
        return _verify_exports(path, bundle, pins)
    if kind == CAMPAIGN_BUNDLE_FORMAT:
        report = verify_campaign_bundle(bundle, pins, older_checkpoint=older)
        what = f"campaign {bundle.get('campaign_id')}"
    elif kind == PROOF_FORMAT:
        if older is not None:
            print("FAILED: --since is for bundles; a signatory proof has no older checkpoint")
            return 2
        report = verify_signatory_proof(bundle, pins)
        what = f"signature {bundle.get('signature_id')} of campaign {bundle.get('campaign_id')}"
    else:  # a round bundle; any other format is reported as not one
        report = verify_bundle(bundle, pins, older_checkpoint=older)
        is_round = kind in (BUNDLE_FORMAT, UNSEALED_FORMAT)
        what = f"round {bundle.get('round_id')}" if is_round else "?"
    for line in report.checked:
        print(f"  ok  {line}")
    if report.ok and args.letter is not None:
        return _verify_letter(path, bundle, args.letter)
    if report.ok:
        print(f"VERIFIED: {path} ({what})")
        return 0
    print(f"FAILED: {len(report.problems)} problem(s) in {path}:")
    for problem in report.problems:
        print(f"  !!  {problem}")
    return 1


def _results(settings: Settings, args: argparse.Namespace) -> int:
    from mandate import resultscmd

    return resultscmd.main(settings, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mandate", description=DESCRIPTION, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {
        "up": (_up, "start the embedded stack: Temporal dev server, migrations, worker and API"),
        "worker": (_worker, "run one Temporal worker against an existing server and database"),
        "api": (_api, "run one API process against an existing server and database"),
        "migrate": (_migrate, "apply database migrations"),
        "bootstrap": (
            _bootstrap,
            "migrate, list the signing keys, issue a first secretariat token",
        ),
        "keys": (_keys, "show the published key list, or rotate a records or checkpoints key"),
        "secretariat-token": (
            _secretariat_token,
            "issue, list or revoke secretariat tokens on the server (no API needed)",
        ),
        "verify": (
            _verify,
            "verify offline a round or campaign bundle (signatures, log, recount) or a "
            "signatory's proof",
        ),
        "results": (_results, "print a decided round's results from the public API"),
    }
    for name, (func, text) in commands.items():
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(func=func)
        if name == "keys":
            keys_sub = p.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
            keys_sub.add_parser("list", help="print the key list as published")
            rot = keys_sub.add_parser("rotate", help="list a new key and retire the current one")
            rot.add_argument("purpose", choices=["records", "checkpoints"])
            rot.add_argument(
                "--at",
                help="RFC 3339 UTC time the new key takes over (default: "
                "MANDATE_KEY_ACTIVATION_DELAY seconds from now)",
            )
        if name == "secretariat-token":
            tok = p.add_subparsers(dest="token_command", required=True, metavar="ACTION")
            issue = tok.add_parser("issue", help="print a new secretariat token, shown once")
            issue.add_argument("--label", help="what the token is for (shown by list)")
            tok.add_parser("list", help="id, label, creation and state of each (never the token)")
            rev = tok.add_parser("revoke", help="revoke a secretariat token at once")
            rev.add_argument("id", help="the token's credential id (from list)")
        if name == "verify":
            p.add_argument(
                "bundle",
                type=Path,
                help="a bundle from GET /v1/rounds/{id}/bundle or /v1/campaigns/{id}/bundle, "
                "or a proof from GET /v1/signatures/{id}/proof",
            )
            trust = p.add_mutually_exclusive_group()
            trust.add_argument(
                "--keys",
                metavar="KEYLIST",
                help="trust only the keys of the operator's published key list: the answer "
                "of GET /v1/keys saved to a file, or its http(s) URL (fetched; nothing else "
                "goes online)",
            )
            trust.add_argument(
                "--key-id",
                action="append",
                metavar="ID",
                help="trust only this key id; repeatable (the older way: --keys takes every "
                "key of the published list, with its validity window)",
            )
            p.add_argument(
                "--letter",
                metavar="CODE",
                help="a designation letter's code: once the round bundle verifies, check that "
                "its signed records give a letter with this code, and say what it states",
            )
            p.add_argument(
                "--since",
                type=Path,
                metavar="OLD_CHECKPOINT_FILE",
                help="a signed checkpoint you kept from before: the bundle's must extend it "
                "(export the bundle with ?since=<its size> to include the proof)",
            )
        if name == "results":
            from mandate.resultscmd import add_arguments

            add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "verify":
        code: int = args.func(None, args)  # needs no configuration
        return code
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from mandate.settings import Settings

    try:
        settings = Settings()
    except ValueError as exc:
        print(f"mandate: bad configuration: {exc}", file=sys.stderr)
        return 2
    result: int = args.func(settings, args)
    return result


if __name__ == "__main__":
    sys.exit(main())
