"""DSSE interoperability with securesystemslib, an independent implementation (own virtualenv)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from policies.errors import SignatureError
from records.dsse import Envelope, Signature, sign, verify
from records.keys import generate_signer, public_key_to_b64, signer_to_pem

ROOT = Path(__file__).resolve().parents[2]
ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
ORACLE_PIN = "securesystemslib[crypto]==1.6.0"

# Reads {"public_hex", "keyid", "pem", "envelopes": {name: DSSE JSON}, "to_sign": [[type, b64]]}
# on stdin; prints {"verified": {name: bool}, "signed": [DSSE JSON]}.
SSLIB_ORACLE = """
import base64, json, sys
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

job = json.load(sys.stdin)
key = SSlibKey(job["keyid"], "ed25519", "ed25519", {"public": job["public_hex"]})
verified = {}
for name, obj in job["envelopes"].items():
    try:
        Envelope.from_dict(obj).verify(keys=[key], threshold=1)
    except VerificationError:
        verified[name] = False
    else:
        verified[name] = True
signer = CryptoSigner(load_pem_private_key(job["pem"].encode(), password=None), key)
signed = []
for payload_type, payload in job["to_sign"]:
    envelope = Envelope(base64.b64decode(payload), payload_type, {})
    envelope.sign(signer)
    signed.append(envelope.to_dict())
print(json.dumps({"verified": verified, "signed": signed}))
"""

PAYLOADS: dict[str, tuple[str, bytes]] = {
    "ballot": ("application/vnd.mandate.ballot.cast.v1+json", b'{"receipt":"r-1"}'),
    "unicode": (
        "application/vnd.mandate.criteria.published.v1+json",
        '{"name":"Zoë Ærø — 選挙 🗳"}'.encode(),
    ),
    "unicode_type": ("application/vnd.mändate+json", b"plain text"),
    "empty": ("application/vnd.mandate.phase.changed.v1+json", b""),
    "binary": ("application/octet-stream", bytes(range(256))),
}


def _oracle_ready() -> None:
    ready = (
        ORACLE_PYTHON.exists()
        and subprocess.run(
            [str(ORACLE_PYTHON), "-c", "import securesystemslib.signer, cryptography"],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    if not ready:
        reason = (
            f"securesystemslib oracle missing from {ORACLE_PYTHON.parent.parent} (install it with "
            "`.venv/bin/python -m pip --python .venv-oracle/bin/python install "
            f"'{ORACLE_PIN}'`)"
        )
        if os.environ.get("CI") or os.environ.get("MANDATE_REQUIRE_ORACLE"):
            pytest.fail(reason)
        pytest.skip(reason)


def test_securesystemslib_agrees_both_ways() -> None:
    _oracle_ready()
    signer = generate_signer()
    envelopes = {
        name: sign(signer, payload_type, payload).to_json()
        for name, (payload_type, payload) in PAYLOADS.items()
    }
    altered = dict(envelopes["ballot"])
    altered["payload"] = base64.b64encode(b'{"receipt":"r-2"}').decode()
    retyped = dict(envelopes["ballot"])
    retyped["payloadType"] = "application/vnd.mandate.ballot.cast.v2+json"
    # A signature by another key, relabelled with our key id.
    forged = sign(generate_signer(), *PAYLOADS["ballot"])
    by_other_key = Envelope(
        forged.payload_type, forged.payload, (Signature(signer.key_id, forged.signatures[0].sig),)
    ).to_json()
    job = {
        "public_hex": base64.b64decode(public_key_to_b64(signer.public_key)).hex(),
        "keyid": signer.key_id,
        "pem": signer_to_pem(signer).decode(),
        "envelopes": {
            **envelopes,
            "altered_payload": altered,
            "altered_type": retyped,
            "other_key": by_other_key,
        },
        "to_sign": [[t, base64.b64encode(p).decode()] for t, p in PAYLOADS.values()],
    }
    result = subprocess.run(
        [str(ORACLE_PYTHON), "-c", SSLIB_ORACLE],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["verified"] == {
        **dict.fromkeys(PAYLOADS, True),
        "altered_payload": False,
        "altered_type": False,
        "other_key": False,
    }
    # The reverse: envelopes signed by securesystemslib verify with ours.
    keys = {signer.key_id: signer.public_key}
    assert len(answer["signed"]) == len(PAYLOADS)
    for obj, (payload_type, payload) in zip(answer["signed"], PAYLOADS.values(), strict=True):
        envelope = Envelope.from_json(obj)
        assert verify(envelope, keys, payload_type=payload_type) == payload
        # Ed25519 is deterministic, so both implementations produce the same signature.
        assert envelope == sign(signer, payload_type, payload)
        tampered = Envelope(payload_type, payload + b"!", envelope.signatures)
        with pytest.raises(SignatureError, match="does not match"):
            verify(tampered, keys)
