"""Requests per second through the web host with full Alexa verification vs verification off.

    .venv/bin/python bench/web.py [--requests N] [--seconds S] [--skill real|hello]

Both hosts run on 127.0.0.1 as ``python -m limber.web`` serves them (limber.web.serve) and
get the same signed LaunchRequest over a keep-alive connection. "verified" checks URL, chain
(cached after the first request), signature, timestamp and application id; "unverified"
(LIMBER_VERIFY=0) checks only the application id. The signing chain comes from a test PKI
served on loopback. Prints both figures, the verification cost per request and the ratio
(target >= 0.8). bench/flood.py measures the same host under attack.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT / "tests")]
os.environ.setdefault("LIMBER_STORE", "memory")

from alexa_test_certs import (  # noqa: E402 - after the path setup above
    TEST_SKILL_ID,
    CertificateServer,
    alexa_request,
    encode,
    hello_skill,
    make_signing_pki,
    running_limber,
    s3_url,
)
from limber.web import create_app  # noqa: E402
from limber.web.adapter import EXTENSION_NAME  # noqa: E402
from limber.web.certificates import CertificateCache  # noqa: E402

WARMUP_REQUESTS = 30
TARGET_RATIO = 0.8


def build_skill(kind: str):
    if kind == "real":
        from limber.app import create_skill

        return create_skill(skill_id=TEST_SKILL_ID, store="memory")
    return hello_skill()


def real_skill_available() -> bool:
    try:
        import limber.skill.builder  # noqa: F401
    except ImportError:
        return False
    return True


def timed_post(session, url: str, body: bytes, headers: dict, expect: int = 200) -> float:
    start = time.perf_counter()
    response = session.post(url, data=body, headers=headers, timeout=10)
    elapsed = time.perf_counter() - start
    if response.status_code != expect:
        raise SystemExit(f"unexpected {response.status_code} from {url}: {response.text}")
    return elapsed


def time_verifiers(app, body: bytes, headers: dict, count: int = 2000) -> float:
    """Microseconds per request spent in the verified host's verifiers, without HTTP."""
    from ask_sdk_model import RequestEnvelope

    adapter = app.extensions[EXTENSION_NAME][TEST_SKILL_ID]
    text = body.decode("utf-8")
    envelope = hello_skill().serializer.deserialize(payload=text, obj_type=RequestEnvelope)
    start = time.perf_counter()
    for _ in range(count):
        for verifier in adapter.verifiers:
            verifier.verify(headers, text, envelope)
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per host (default 2000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="time cap for the whole run (default 30)")
    parser.add_argument("--skill", choices=["real", "hello"], default=None)
    args = parser.parse_args()
    # Rejections are logged as in production, to nowhere, so the figures include that cost.
    logging.basicConfig(stream=open(os.devnull, "w"), level=logging.WARNING)  # noqa: SIM115
    kind = args.skill or ("real" if real_skill_available() else "hello")

    pki = make_signing_pki()
    cert_server = CertificateServer(pki.chains)
    certificates = CertificateCache(trust_roots=[pki.root], fetch=cert_server.fetch)
    verified_app = create_app(
        skill=build_skill(kind), skill_id=TEST_SKILL_ID, verify=True, certificates=certificates
    )
    plain_app = create_app(skill=build_skill(kind), skill_id=TEST_SKILL_ID, verify=False)

    body = encode(alexa_request())  # one body; Alexa's window is 150 s and the run stays under
    headers = {
        "Content-Type": "application/json",
        "SignatureCertChainUrl": s3_url("valid"),
        "Signature-256": pki.sign(body),
    }
    times: dict[str, list[float]] = {"verified": [], "unverified": []}
    with (
        running_limber(verified_app, threads=2) as verified_url,
        running_limber(plain_app, threads=2) as plain_url,
    ):
        hosts = [("verified", verified_url + "/"), ("unverified", plain_url + "/")]
        sessions = {name: requests.Session() for name, _ in hosts}
        for name, url in hosts:
            for _ in range(WARMUP_REQUESTS):
                timed_post(sessions[name], url, body, headers)
        # One request to each host in turn (order flipping) so load from other processes on a
        # shared machine falls on both hosts alike.
        deadline = time.perf_counter() + args.seconds
        for index in range(args.requests):
            if time.perf_counter() > deadline:
                break
            for name, url in hosts if index % 2 == 0 else reversed(hosts):
                times[name].append(timed_post(sessions[name], url, body, headers))
    verifier_us = time_verifiers(verified_app, body, headers)
    large = large_body_costs(verified_app, pki, args.seconds / 3)
    cert_server.close()

    rps = {name: len(spent) / sum(spent) for name, spent in times.items()}
    ratio = rps["verified"] / rps["unverified"]
    medians_us = {name: statistics.median(spent) * 1e6 for name, spent in times.items()}
    print(f"skill: {kind}; waitress on 127.0.0.1, one keep-alive client, body {len(body)} bytes")
    for name in ("verified", "unverified"):
        print(
            f"  {name:<11} {rps[name]:8.1f} req/s  median {medians_us[name]:6.0f} us"
            f"  ({len(times[name])} requests in {sum(times[name]):.2f} s)"
        )
    print(
        f"  verification cost: {medians_us['verified'] - medians_us['unverified']:.0f} us"
        f" per request (difference of medians), {verifier_us:.0f} us in the verifiers alone"
    )
    print(f"  certificate fetches: {cert_server.hits['valid']} (cached after the first)")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"  ratio verified/unverified: {ratio:.2f} ({verdict} target >= {TARGET_RATIO})")
    forged_us, signed_us = (statistics.median(large[name]) * 1e6 for name in ("forged", "signed"))
    print(
        f"  {len(large['body']) // 1024} KiB body, in-process (no HTTP): forged (wrong signature) median"
        f" {forged_us:.0f} us, signed {signed_us:.0f} us (forged/signed {forged_us / signed_us:.2f}:"
        " refused before parsing)"
    )


def large_body_costs(app, pki, seconds: float) -> dict:
    """Server-side cost of forged and signed ~111 KiB requests (session attributes full of small
    objects), taken in turn through the verified app without HTTP: the forged one is refused by
    the signature check before the body is parsed."""
    envelope = alexa_request()
    envelope["session"]["attributes"] = {f"k{n}": {"step": n, "side": "left"} for n in range(3300)}
    body = encode(envelope)
    signed = {"Content-Type": "application/json", "SignatureCertChainUrl": s3_url("valid")}
    signed["Signature-256"] = pki.sign(body)
    forged = {**signed, "Signature-256": pki.sign(body, key=pki.rogue_key)}
    client = app.test_client()
    times: dict = {"forged": [], "signed": [], "body": body}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or not times["forged"]:
        for name, headers, status in (("forged", forged, 400), ("signed", signed, 200)):
            start = time.perf_counter()
            response = client.post("/", data=body, headers=headers)
            times[name].append(time.perf_counter() - start)
            if response.status_code != status:
                raise SystemExit(f"{name} 111 KiB request: unexpected {response.status_code}")
    return times


if __name__ == "__main__":
    main()
