"""Unit checks for the Alexa request verifiers: URL rules, certificate chain and cache,
signature encoding, timestamp window and application id. HTTP-level checks are in
test_web_http.py."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections import Counter
from types import SimpleNamespace
from urllib.parse import urlparse, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from alexa_test_certs import TEST_SKILL_ID, make_signing_pki
from limber.web.certificates import (
    CertificateCache,
    CertificateFetchError,
    FetchLimits,
    canonical_certificate_url,
    fetch_certificate_chain,
    load_trust_roots,
    validate_certificate_url,
)
from limber.web.verification import (
    ApplicationIdVerifier,
    TimestampVerifier,
    VerificationException,
    decode_signature,
)

# Amazon's real signing chain of 2023 (echo-api-cert-12.pem: leaf valid 2023-03-16..2023-12-23,
# Amazon RSA 2048 M01, Amazon Root CA 1, Starfield G2 cross-sign), as recorded in the public
# test fixtures of github.com/mreinstein/alexa-verifier (test/mocks/echo-api-cert-12.cer).
AMAZON_ECHO_API_CHAIN_2023 = b"""\
-----BEGIN CERTIFICATE-----
MIIF1DCCBLygAwIBAgIQBN+8chNo1Sj7b0tM5snCVjANBgkqhkiG9w0BAQsFADA8
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRwwGgYDVQQDExNBbWF6b24g
UlNBIDIwNDggTTAxMB4XDTIzMDMxNjAwMDAwMFoXDTIzMTIyMzIzNTk1OVowHjEc
MBoGA1UEAxMTZWNoby1hcGkuYW1hem9uLmNvbTCCASIwDQYJKoZIhvcNAQEBBQAD
ggEPADCCAQoCggEBAKIQEkLs9APyNk6eV9X1QXh+ca8XtooQy6BiSpzMY6HKtg13
G5cL/hCkXNUbsJYsO47BKsBcYKOhrI9Tlz3aMwFPX/Y2rK32WgeIs1jf0Et7UXQ5
hvUm9CQ5eCmpUWL69rkDoN8ig8pnaO/5CXWA/3hEJi/ChhI/u0VTLljClH7ZKTmu
uVLmFEthUc3Zk9kGa7hmBx3Dy/Pj7eqZUEq7KrRqzqvGXSSh22fp2IJ8QcOyTNt6
wNtOmepdYUUB1EWaoIcc2WiBlC/fsB8yJbGlC6r+JRoXEaJexW8BMN1/McIFsXx0
pg0hovlN68kyuz5hKPwVZ9aQHrEKyl3bf5VtF8kCAwEAAaOCAu4wggLqMB8GA1Ud
IwQYMBaAFIG4DmOKiRIY5fo7O1CVn+blkBOFMB0GA1UdDgQWBBQo1dfksXQFwRBS
gCVWr5gZCuM51jAeBgNVHREEFzAVghNlY2hvLWFwaS5hbWF6b24uY29tMA4GA1Ud
DwEB/wQEAwIFoDAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwOwYDVR0f
BDQwMjAwoC6gLIYqaHR0cDovL2NybC5yMm0wMS5hbWF6b250cnVzdC5jb20vcjJt
MDEuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMHUGCCsGAQUFBwEBBGkwZzAtBggr
BgEFBQcwAYYhaHR0cDovL29jc3AucjJtMDEuYW1hem9udHJ1c3QuY29tMDYGCCsG
AQUFBzAChipodHRwOi8vY3J0LnIybTAxLmFtYXpvbnRydXN0LmNvbS9yMm0wMS5j
ZXIwDAYDVR0TAQH/BAIwADCCAYAGCisGAQQB1nkCBAIEggFwBIIBbAFqAHYA6D7Q
2j71BjUy51covIlryQPTy9ERa+zraeF3fW0GvW4AAAGG7FRdNgAABAMARzBFAiEA
/YIL1U8CP30wrUhqg3ILfVSkVAfQ/Eo3SGNjvz8VEwMCIG38MeCoXQN3hvE77uPR
sTE59GxdeozFwZqPcGaZSYp+AHcAs3N3B+GEUPhjhtYFqdwRCUp5LbFnDAuH3PAD
Dnk2pZoAAAGG7FRdZgAABAMASDBGAiEAyubrDupeOQjRFs7oGz+he0X1S6k03xZ/
6x0w5b7xkmICIQDY6IkaeoEFrMMv3vl2PlE2c6MxEhJt+t54vXnWcwkPGgB3ALc+
+yTfnE26dfI5xbpY9Gxd/ELPep81xJ4dCYEl7bSZAAABhuxUXRgAAAQDAEgwRgIh
AO+JM3fQLGKncD8qGCiYCS73jWOvhRq94zsxiXjUdTNfAiEAxIryCWuVSLN+S1+K
21tTWBhWi4Q9ndjPVEltqxpnym8wDQYJKoZIhvcNAQELBQADggEBAIrd0C+BEmLX
iEPMjHByEYmT4Ho/WSZSjn7VYzzn5D2SqsRHYG6NkMTLbxcdjmMlsAk8ZD+jqJii
HTXmYcKOohH5My70l8YekFpiSP91eEziYSdFsCmXwzH5OmxOkVwvFwa5ZZI93aaQ
djoMI8RhG3TiQGsCFe7gXMpD4/Gh3N1CRDEepVadujEv4hBf0FfBjUFzxuxQVvGa
6epG1P55BMR3UPgVSJ1TLNBhxSN2CQKhYMdeA1ncfb6zc6cJ7h0WGEq3iwBr9WD4
fjGn8nMFXV9a5yVoIN2riHAgROjPa7SibLGouof8Ydyu8aOhdhBehcSTpjJ7EzOQ
QlES8QSw3UE=
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIIEXjCCA0agAwIBAgITB3MSOAudZoijOx7Zv5zNpo4ODzANBgkqhkiG9w0BAQsF
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6
b24gUm9vdCBDQSAxMB4XDTIyMDgyMzIyMjEyOFoXDTMwMDgyMzIyMjEyOFowPDEL
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEcMBoGA1UEAxMTQW1hem9uIFJT
QSAyMDQ4IE0wMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAOtxLKnL
H4gokjIwr4pXD3i3NyWVVYesZ1yX0yLI2qIUZ2t88Gfa4gMqs1YSXca1R/lnCKeT
epWSGA+0+fkQNpp/L4C2T7oTTsddUx7g3ZYzByDTlrwS5HRQQqEFE3O1T5tEJP4t
f+28IoXsNiEzl3UGzicYgtzj2cWCB41eJgEmJmcf2T8TzzK6a614ZPyq/w4CPAff
nAV4coz96nW3AyiE2uhuB4zQUIXvgVSycW7sbWLvj5TDXunEpNCRwC4kkZjK7rol
jtT2cbb7W2s4Bkg3R42G3PLqBvt2N32e/0JOTViCk8/iccJ4sXqrS1uUN4iB5Nmv
JK74csVl+0u0UecCAwEAAaOCAVowggFWMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYD
VR0PAQH/BAQDAgGGMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAdBgNV
HQ4EFgQUgbgOY4qJEhjl+js7UJWf5uWQE4UwHwYDVR0jBBgwFoAUhBjMhTTsvAyU
lC4IWZzHshBOCggwewYIKwYBBQUHAQEEbzBtMC8GCCsGAQUFBzABhiNodHRwOi8v
b2NzcC5yb290Y2ExLmFtYXpvbnRydXN0LmNvbTA6BggrBgEFBQcwAoYuaHR0cDov
L2NydC5yb290Y2ExLmFtYXpvbnRydXN0LmNvbS9yb290Y2ExLmNlcjA/BgNVHR8E
ODA2MDSgMqAwhi5odHRwOi8vY3JsLnJvb3RjYTEuYW1hem9udHJ1c3QuY29tL3Jv
b3RjYTEuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMA0GCSqGSIb3DQEBCwUAA4IB
AQCtAN4CBSMuBjJitGuxlBbkEUDeK/pZwTXv4KqPK0G50fOHOQAd8j21p0cMBgbG
kfMHVwLU7b0XwZCav0h1ogdPMN1KakK1DT0VwA/+hFvGPJnMV1Kx2G4S1ZaSk0uU
5QfoiYIIano01J5k4T2HapKQmmOhS/iPtuo00wW+IMLeBuKMn3OLn005hcrOGTad
hcmeyfhQP7Z+iKHvyoQGi1C0ClymHETx/chhQGDyYSWqB/THwnN15AwLQo0E5V9E
SJlbe4mBlqeInUsNYugExNf+tOiybcrswBy8OFsd34XOW3rjSUtsuafd9AWySa3h
xRRrwszrzX/WWGm6wyB+f7C4
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIIEkjCCA3qgAwIBAgITBn+USionzfP6wq4rAfkI7rnExjANBgkqhkiG9w0BAQsF
ADCBmDELMAkGA1UEBhMCVVMxEDAOBgNVBAgTB0FyaXpvbmExEzARBgNVBAcTClNj
b3R0c2RhbGUxJTAjBgNVBAoTHFN0YXJmaWVsZCBUZWNobm9sb2dpZXMsIEluYy4x
OzA5BgNVBAMTMlN0YXJmaWVsZCBTZXJ2aWNlcyBSb290IENlcnRpZmljYXRlIEF1
dGhvcml0eSAtIEcyMB4XDTE1MDUyNTEyMDAwMFoXDTM3MTIzMTAxMDAwMFowOTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv
b3QgQ0EgMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBALJ4gHHKeNXj
ca9HgFB0fW7Y14h29Jlo91ghYPl0hAEvrAIthtOgQ3pOsqTQNroBvo3bSMgHFzZM
9O6II8c+6zf1tRn4SWiw3te5djgdYZ6k/oI2peVKVuRF4fn9tBb6dNqcmzU5L/qw
IFAGbHrQgLKm+a/sRxmPUDgH3KKHOVj4utWp+UhnMJbulHheb4mjUcAwhmahRWa6
VOujw5H5SNz/0egwLX0tdHA114gk957EWW67c4cX8jJGKLhD+rcdqsq08p8kDi1L
93FcXmn/6pUCyziKrlA4b9v7LWIbxcceVOF34GfID5yHI9Y/QCB/IIDEgEw+OyQm
jgSubJrIqg0CAwEAAaOCATEwggEtMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/
BAQDAgGGMB0GA1UdDgQWBBSEGMyFNOy8DJSULghZnMeyEE4KCDAfBgNVHSMEGDAW
gBScXwDfqgHXMCs4iKK4bUqc8hGRgzB4BggrBgEFBQcBAQRsMGowLgYIKwYBBQUH
MAGGImh0dHA6Ly9vY3NwLnJvb3RnMi5hbWF6b250cnVzdC5jb20wOAYIKwYBBQUH
MAKGLGh0dHA6Ly9jcnQucm9vdGcyLmFtYXpvbnRydXN0LmNvbS9yb290ZzIuY2Vy
MD0GA1UdHwQ2MDQwMqAwoC6GLGh0dHA6Ly9jcmwucm9vdGcyLmFtYXpvbnRydXN0
LmNvbS9yb290ZzIuY3JsMBEGA1UdIAQKMAgwBgYEVR0gADANBgkqhkiG9w0BAQsF
AAOCAQEAYjdCXLwQtT6LLOkMm2xF4gcAevnFWAu5CIw+7bMlPLVvUOTNNWqnkzSW
MiGpSESrnO09tKpzbeR/FoCJbM8oAxiDR3mjEH4wW6w7sGDgd9QIpuEdfF7Au/ma
eyKdpwAJfqxGF4PcnCZXmTA5YpaP7dreqsXMGz7KQ2hsVxa81Q4gLv7/wmpdLqBK
bRRYh5TmOTFffHPLkIhqhBGWJ6bt2YFGpn6jcgAKUj6DiAdjd4lpFw85hdKrCEVN
0FE6/V1dN2RMfjCyVSRCnTawXZwXgWHxyvkQAiSr6w10kY17RSlQOYiypok1JR4U
akcjMS9cmvqtmg5iUaQqqcT5NJ0hGA==
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIIEdTCCA12gAwIBAgIJAKcOSkw0grd/MA0GCSqGSIb3DQEBCwUAMGgxCzAJBgNV
BAYTAlVTMSUwIwYDVQQKExxTdGFyZmllbGQgVGVjaG5vbG9naWVzLCBJbmMuMTIw
MAYDVQQLEylTdGFyZmllbGQgQ2xhc3MgMiBDZXJ0aWZpY2F0aW9uIEF1dGhvcml0
eTAeFw0wOTA5MDIwMDAwMDBaFw0zNDA2MjgxNzM5MTZaMIGYMQswCQYDVQQGEwJV
UzEQMA4GA1UECBMHQXJpem9uYTETMBEGA1UEBxMKU2NvdHRzZGFsZTElMCMGA1UE
ChMcU3RhcmZpZWxkIFRlY2hub2xvZ2llcywgSW5jLjE7MDkGA1UEAxMyU3RhcmZp
ZWxkIFNlcnZpY2VzIFJvb3QgQ2VydGlmaWNhdGUgQXV0aG9yaXR5IC0gRzIwggEi
MA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDVDDrEKvlO4vW+GZdfjohTsR8/
y8+fIBNtKTrID30892t2OGPZNmCom15cAICyL1l/9of5JUOG52kbUpqQ4XHj2C0N
Tm/2yEnZtvMaVq4rtnQU68/7JuMauh2WLmo7WJSJR1b/JaCTcFOD2oR0FMNnngRo
Ot+OQFodSk7PQ5E751bWAHDLUu57fa4657wx+UX2wmDPE1kCK4DMNEffud6QZW0C
zyyRpqbn3oUYSXxmTqM6bam17jQuug0DuDPfR+uxa40l2ZvOgdFFRjKWcIfeAg5J
Q4W2bHO7ZOphQazJ1FTfhy/HIrImzJ9ZVGif/L4qL8RVHHVAYBeFAlU5i38FAgMB
AAGjgfAwge0wDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAYYwHQYDVR0O
BBYEFJxfAN+qAdcwKziIorhtSpzyEZGDMB8GA1UdIwQYMBaAFL9ft9HO3R+G9FtV
rNzXEMIOqYjnME8GCCsGAQUFBwEBBEMwQTAcBggrBgEFBQcwAYYQaHR0cDovL28u
c3MyLnVzLzAhBggrBgEFBQcwAoYVaHR0cDovL3guc3MyLnVzL3guY2VyMCYGA1Ud
HwQfMB0wG6AZoBeGFWh0dHA6Ly9zLnNzMi51cy9yLmNybDARBgNVHSAECjAIMAYG
BFUdIAAwDQYJKoZIhvcNAQELBQADggEBACMd44pXyn3pF3lM8R5V/cxTbj5HD9/G
VfKyBDbtgB9TxF00KGu+x1X8Z+rLP3+QsjPNG1gQggL4+C/1E2DUBc7xgQjB3ad1
l08YuW3e95ORCLp+QCztweq7dp4zBncdDQh/U90bZKuCJ/Fp1U1ervShw3WnWEQt
8jxwmKy6abaVd38PMV4s/KCHOkdp8Hlf9BRUpJVeEXgSYCfOn8J3/yNTd126/+pZ
59vPr5KW7ySaNRB6nJHGDn2Z9j8Z3/VyVOEVqQdZe4O/Ui5GjLIAZHYcSNPYeehu
VsyuLAOQ1xk4meTKCRlb/weWsKh/NEnfVqn3sF/tM+2MR7cwA130A4w=
-----END CERTIFICATE-----
"""
AMAZON_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
UTC = dt.UTC


def rejection(call, *args) -> VerificationException:
    with pytest.raises(VerificationException) as caught:
        call(*args)
    return caught.value


class MutableClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def pki():
    return make_signing_pki()


# --- certificate URL rules (examples from Alexa's web-service documentation and beyond) ---


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
    ],
)
def test_certificate_url_rules_accept_amazon_urls(url):
    validate_certificate_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "scheme"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/", "path"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem", "malformed"),
    ],
)
def test_certificate_url_rules_reject(url, reason):
    error = rejection(validate_certificate_url, url)
    assert error.check == "cert_url"
    assert reason in error.message


# --- the same decisions as Amazon's own verifier, on a table of URLs ---


def official_accepts(url: str) -> bool:
    """ask-sdk-webservice-support's ``RequestVerifier._validate_certificate_url``, as in
    github.com/alexa/alexa-skills-kit-sdk-for-python at 7e13ca69 (release 1.19.0),
    ask-sdk-webservice-support/ask_sdk_webservice_support/verifier.py, lines 249-287, with its
    constants from verifier_constants.py (Apache-2.0). The package itself cannot be imported
    here: it needs certvalidator/oscrypto, which fail on OpenSSL >= 3.0.10. Any exception it
    would raise (including the ValueError of a bad port) counts as a rejection."""
    try:
        parsed_url = urlparse(url)
        if parsed_url.scheme.lower() != "https":
            return False
        hostname = parsed_url.hostname
        if hostname is None or hostname.lower() != "s3.amazonaws.com":
            return False
        normalized_path = os.path.normpath(parsed_url.path)
        if not normalized_path.startswith(f"{os.path.sep}echo.api{os.path.sep}"):
            return False
        port = parsed_url.port
        if port is not None and port != 443:
            return False
    except Exception:
        return False
    return True


def limber_accepts(url: str) -> bool:
    try:
        canonical_certificate_url(url)
    except VerificationException as error:
        assert error.check == "cert_url"
        return False
    return True


BOTH_ACCEPT = [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api//echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/sub/../echo-api-cert.pem",
    "https://s3.amazonaws.com/evil/../echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/evil/../../echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem?versionId=1",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem#fragment",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem;params",
    "https://someone@s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/%41.pem",
    "https://s3.amazonaws.com/echo.api/..\\other/x.pem",
    "https://s3.amazonaws.com/echo.api/x/",
]
BOTH_REJECT = [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "",
    "https:///echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com./echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/",
    "https://s3.amazonaws.com/echo.api",
    "https://s3.amazonaws.com/echo.api/.",
    "https://s3.amazonaws.com/echo.api/;x",
    "https://s3.amazonaws.com//echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.apix/echo-api-cert.pem",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem",
    # The audit's case: decoding %2f before normalising made this /echo.api/x.pem.
    "https://s3.amazonaws.com/evil/..%2fecho.api/x.pem",
    "https://s3.amazonaws.com/evil/..%2Fecho.api/x.pem",
    "https://s3.amazonaws.com/evil%2f..%2f..%2fecho.api/x.pem",
    "https://s3.amazonaws.com/%2e%2e/echo.api/x.pem",
]
# Stricter on purpose: servers differ on whether %2e and %2f are path syntax.
ONLY_AMAZON_ACCEPTS = [
    "https://s3.amazonaws.com/echo.api/%2e%2e/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/%2E%2E/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/..%2finvalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/%2e%2e%2f%2e%2e%2fother/x.pem",
    "https://s3.amazonaws.com/echo.api/..%5cother/x.pem",
    "https://s3.amazonaws.com/echo.api/x%2epem",
]


@pytest.mark.parametrize("url", BOTH_ACCEPT + BOTH_REJECT + ONLY_AMAZON_ACCEPTS)
def test_url_decisions_match_amazons_verifier_except_encoded_dots_and_slashes(url):
    encoded_dot_or_slash = re.search(r"%(2e|2f|5c)", urlsplit(url).path, re.IGNORECASE) is not None
    if encoded_dot_or_slash:
        assert not limber_accepts(url)
    else:
        assert limber_accepts(url) == official_accepts(url)
    expected = url in BOTH_ACCEPT
    assert limber_accepts(url) == expected
    assert official_accepts(url) == (expected or url in ONLY_AMAZON_ACCEPTS)


@pytest.mark.parametrize("url", BOTH_ACCEPT)
def test_canonical_url_is_the_normalised_path_on_amazons_host(url):
    canonical = canonical_certificate_url(url)
    assert canonical == "https://s3.amazonaws.com" + os.path.normpath(urlparse(url).path)
    assert canonical_certificate_url(canonical) == canonical
    assert official_accepts(canonical)


def test_the_canonical_url_is_fetched_and_shared_by_its_spellings(pki):
    fetched = Counter()
    cache = CertificateCache(trust_roots=[pki.root], fetch=counting_fetch(pki, "valid", fetched))
    spellings = [
        "https://s3.amazonaws.com:443/echo.api/sub/../valid.pem?x=1",
        "HTTPS://someone@S3.AMAZONAWS.COM/echo.api//valid.pem#f",
        "https://s3.amazonaws.com/evil/../echo.api/valid.pem",
    ]
    keys = {id(cache.signing_key(url)) for url in spellings}
    assert fetched == Counter({"https://s3.amazonaws.com/echo.api/valid.pem": 1})
    assert len(keys) == 1


def test_cache_applies_url_rules_before_fetching(pki):
    fetched = []
    cache = CertificateCache(trust_roots=[pki.root], fetch=fetched.append)
    error = rejection(cache.signing_key, "http://s3.amazonaws.com/echo.api/valid.pem")
    assert error.check == "cert_url"
    assert fetched == []


# --- the real Amazon chain against the production trust store ---


def test_real_amazon_chain_is_trusted_through_certifi_roots():
    cache = CertificateCache(
        fetch=lambda url: AMAZON_ECHO_API_CHAIN_2023,
        clock=lambda: dt.datetime(2023, 6, 1, tzinfo=UTC),
    )
    key = cache.signing_key(AMAZON_URL)
    leaf = x509.load_pem_x509_certificate(AMAZON_ECHO_API_CHAIN_2023)
    assert isinstance(key, RSAPublicKey)
    assert key.public_numbers() == leaf.public_key().public_numbers()


def test_real_amazon_chain_is_rejected_once_expired():
    cache = CertificateCache(
        fetch=lambda url: AMAZON_ECHO_API_CHAIN_2023,
        clock=lambda: dt.datetime(2024, 6, 1, tzinfo=UTC),
    )
    assert rejection(cache.signing_key, AMAZON_URL).check == "cert_expired"


def test_real_amazon_chain_is_rejected_without_amazon_roots(pki):
    cache = CertificateCache(
        trust_roots=[pki.root],
        fetch=lambda url: AMAZON_ECHO_API_CHAIN_2023,
        clock=lambda: dt.datetime(2023, 6, 1, tzinfo=UTC),
    )
    assert rejection(cache.signing_key, AMAZON_URL).check == "cert_chain"


def test_default_trust_roots_include_amazon_root_ca_1():
    subjects = {root.subject.rfc4514_string() for root in load_trust_roots()}
    assert "CN=Amazon Root CA 1,O=Amazon,C=US" in subjects


def test_trust_bundle_without_certificates_is_an_error(tmp_path):
    bundle = tmp_path / "empty.pem"
    bundle.write_text("no certificates here\n")
    with pytest.raises(RuntimeError, match="no trusted root"):
        load_trust_roots(bundle)


# --- certificate cache with the test PKI ---


def counting_fetch(pki, chain_name: str, fetched: Counter):
    def fetch(url: str) -> bytes:
        fetched[url] += 1
        return pki.chains[chain_name]

    return fetch


def test_cache_keeps_a_chain_until_it_expires_then_fetches_again(pki):
    fetched = Counter()
    clock = MutableClock(dt.datetime.now(UTC))
    cache = CertificateCache(trust_roots=[pki.root], fetch=counting_fetch(pki, "valid", fetched), clock=clock)
    url = "https://s3.amazonaws.com/echo.api/valid.pem"
    first = cache.signing_key(url)
    for _ in range(5):
        assert cache.signing_key(url) is first
    assert fetched[url] == 1

    clock.now = pki.leaf.not_valid_after_utc + dt.timedelta(seconds=1)
    assert rejection(cache.signing_key, url).check == "cert_expired"
    assert fetched[url] == 2


def test_failed_fetch_is_remembered_for_minutes_then_retried(pki):
    attempts = []

    def flaky_fetch(url: str) -> bytes:
        attempts.append(url)
        if len(attempts) == 1:
            raise OSError("connection reset")
        return pki.chains["valid"]

    clock = MutableClock(dt.datetime.now(UTC))
    cache = CertificateCache(trust_roots=[pki.root], fetch=flaky_fetch, clock=clock)
    url = "https://s3.amazonaws.com/echo.api/valid.pem"
    error = rejection(cache.signing_key, url)
    assert error.check == "cert_fetch"
    assert "connection reset" in error.message
    clock.now += dt.timedelta(minutes=4)
    again = rejection(cache.signing_key, url)  # answered from the failure cache
    assert again.check == "cert_fetch" and "failed earlier" in again.message
    assert len(attempts) == 1
    clock.now += dt.timedelta(minutes=2)
    assert isinstance(cache.signing_key(url), RSAPublicKey)
    assert len(attempts) == 2


def test_chain_that_is_not_pem_is_rejected(pki):
    cache = CertificateCache(trust_roots=[pki.root], fetch=lambda url: b"<html>Not Found</html>")
    error = rejection(cache.signing_key, "https://s3.amazonaws.com/echo.api/x.pem")
    assert error.check == "cert_parse"


def test_leaf_without_its_intermediate_is_not_trusted(pki):
    leaf_only = pki.chains["valid"].split(b"-----END CERTIFICATE-----")[0]
    cache = CertificateCache(
        trust_roots=[pki.root], fetch=lambda url: leaf_only + b"-----END CERTIFICATE-----\n"
    )
    error = rejection(cache.signing_key, "https://s3.amazonaws.com/echo.api/leaf.pem")
    assert error.check == "cert_chain"


def test_cache_holds_a_bounded_number_of_urls(pki):
    fetched = Counter()
    cache = CertificateCache(
        trust_roots=[pki.root], fetch=counting_fetch(pki, "valid", fetched), max_entries=2
    )
    urls = [f"https://s3.amazonaws.com/echo.api/copy-{n}.pem" for n in range(3)]
    for url in urls:
        cache.signing_key(url)
    cache.signing_key(urls[2])
    cache.signing_key(urls[0])  # pushed out by the third URL, so fetched again
    assert [fetched[url] for url in urls] == [2, 1, 1]


# --- signature header encoding ---


@pytest.mark.parametrize("header", ["!!not base64!!", "c2lnbmF0dXJl?", "   "])
def test_signature_header_must_be_base64(header):
    assert rejection(decode_signature, header).check == "signature_encoding"


# --- timestamp window ---

NOW = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def envelope_at(timestamp, request_type: str = "LaunchRequest"):
    request = SimpleNamespace(timestamp=timestamp, object_type=request_type)
    return SimpleNamespace(request=request)


def verify_timestamp(timestamp, request_type="LaunchRequest", verifier=None):
    verifier = verifier or TimestampVerifier(clock=lambda: NOW)
    verifier.verify({}, "", envelope_at(timestamp, request_type))


@pytest.mark.parametrize(
    "timestamp",
    [
        NOW,
        NOW - dt.timedelta(seconds=149),
        NOW + dt.timedelta(seconds=149),
        NOW.replace(tzinfo=None),  # a naive timestamp is read as UTC
    ],
)
def test_timestamp_within_150_seconds_is_accepted(timestamp):
    verify_timestamp(timestamp)


@pytest.mark.parametrize(
    ("timestamp", "words"),
    [
        (NOW - dt.timedelta(seconds=151), "151 s old"),
        (NOW + dt.timedelta(seconds=151), "151 s in the future"),
        (None, "no timestamp"),
    ],
)
def test_timestamp_outside_the_window_is_rejected(timestamp, words):
    error = rejection(verify_timestamp, timestamp)
    assert error.check == "timestamp"
    assert words in error.message


def test_skill_events_may_be_an_hour_late_but_requests_may_not():
    half_hour_ago = NOW - dt.timedelta(minutes=30)
    verify_timestamp(half_hour_ago, "AlexaSkillEvent.SkillEnabled")
    assert rejection(verify_timestamp, half_hour_ago, "IntentRequest").check == "timestamp"


def test_timestamp_tolerance_cannot_be_widened_past_150_seconds():
    lenient = TimestampVerifier(tolerance=dt.timedelta(hours=1), clock=lambda: NOW)
    error = rejection(verify_timestamp, NOW - dt.timedelta(seconds=200), "LaunchRequest", lenient)
    assert "limit 150 s" in error.message


# --- application id ---


def envelope_for(context_id: str | None, session_id: str | None):
    def holder(application_id):
        if application_id is None:
            return None
        return SimpleNamespace(application=SimpleNamespace(application_id=application_id))

    return SimpleNamespace(context=SimpleNamespace(system=holder(context_id)), session=holder(session_id))


@pytest.mark.parametrize(
    ("context_id", "session_id"),
    [(TEST_SKILL_ID, TEST_SKILL_ID), (TEST_SKILL_ID, None), (None, TEST_SKILL_ID)],
)
def test_application_id_of_this_skill_is_accepted(context_id, session_id):
    ApplicationIdVerifier(TEST_SKILL_ID).verify({}, "", envelope_for(context_id, session_id))


@pytest.mark.parametrize(
    ("context_id", "session_id", "words"),
    [
        ("amzn1.ask.skill.other", "amzn1.ask.skill.other", "is not this skill's id"),
        (TEST_SKILL_ID, "amzn1.ask.skill.other", "is not this skill's id"),
        (None, None, "no application id"),
    ],
)
def test_application_id_of_another_skill_is_rejected(context_id, session_id, words):
    verifier = ApplicationIdVerifier(TEST_SKILL_ID)
    error = rejection(verifier.verify, {}, "", envelope_for(context_id, session_id))
    assert error.check == "application_id"
    assert words in error.message


# --- fetching under load: single flight, no lock across a fetch, the caps ---


class GatedFetch:
    """A fetch that blocks until released, recording what was asked and how many at once."""

    def __init__(self, pki) -> None:
        self._pki = pki
        self.release = threading.Event()
        self.started = Counter()
        self.running = 0
        self.peak = 0
        self.lock_was_free: list[bool] = []
        self._count = threading.Lock()
        self.cache = None

    def __call__(self, url: str) -> bytes:
        with self._count:
            self.started[url] += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            if self.cache is not None:  # is the cache's bookkeeping lock free mid-fetch?
                free = self.cache.lock.acquire(blocking=False)
                if free:
                    self.cache.lock.release()
                self.lock_was_free.append(free)
            self.release.wait(10)
            return self._pki.chains["valid"]
        finally:
            with self._count:
                self.running -= 1


def in_threads(count: int, call) -> tuple[list, list[threading.Thread]]:
    results: list = []

    def run() -> None:
        try:
            results.append(call())
        except VerificationException as error:
            results.append(error)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return results, threads


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
    while not condition():
        assert dt.datetime.now() < deadline, "condition not reached"
        threading.Event().wait(0.01)


def test_requests_naming_one_new_url_share_one_fetch(pki):
    fetch = GatedFetch(pki)
    cache = CertificateCache(
        trust_roots=[pki.root], fetch=fetch, limits=FetchLimits(max_waiters=5, follow_seconds=10)
    )
    url = "https://s3.amazonaws.com/echo.api/valid.pem"
    results, threads = in_threads(6, lambda: cache.signing_key(url))
    wait_until(lambda: sum(fetch.started.values()) == 1)
    fetch.release.set()
    for thread in threads:
        thread.join(5)
    assert fetch.started == Counter({url: 1})
    assert len(results) == 6 and all(isinstance(key, RSAPublicKey) for key in results)


def test_no_lock_is_held_while_fetching_and_a_cached_url_is_answered_meanwhile(pki):
    fetch = GatedFetch(pki)
    cache = CertificateCache(trust_roots=[pki.root], fetch=fetch)
    fetch.cache = cache
    cached = "https://s3.amazonaws.com/echo.api/cached.pem"
    fetch.release.set()
    cache.signing_key(cached)
    fetch.release.clear()
    _, slow = in_threads(1, lambda: cache.signing_key("https://s3.amazonaws.com/echo.api/slow.pem"))
    wait_until(lambda: fetch.running == 1)
    assert isinstance(cache.signing_key(cached), RSAPublicKey)  # while slow.pem is still fetching
    _, other = in_threads(1, lambda: cache.signing_key("https://s3.amazonaws.com/echo.api/other.pem"))
    wait_until(lambda: fetch.running == 2)  # a second URL's fetch started alongside the first
    fetch.release.set()
    for thread in slow + other:
        thread.join(5)
    assert fetch.lock_was_free == [True, True, True]


def test_fetches_at_once_are_capped_and_the_rest_refused_at_once(pki):
    fetch = GatedFetch(pki)
    cache = CertificateCache(trust_roots=[pki.root], fetch=fetch, limits=FetchLimits(max_concurrent=2))
    urls = iter(f"https://s3.amazonaws.com/echo.api/new-{n}.pem" for n in range(10))
    results, threads = in_threads(2, lambda: cache.signing_key(next(urls)))
    wait_until(lambda: fetch.running == 2)
    refused = rejection(cache.signing_key, "https://s3.amazonaws.com/echo.api/one-too-many.pem")
    assert refused.check == "cert_busy"
    fetch.release.set()
    for thread in threads:
        thread.join(5)
    assert fetch.peak == 2
    assert "https://s3.amazonaws.com/echo.api/one-too-many.pem" not in fetch.started


def test_waiters_for_a_fetch_are_capped(pki):
    fetch = GatedFetch(pki)
    cache = CertificateCache(
        trust_roots=[pki.root], fetch=fetch, limits=FetchLimits(max_waiters=2, follow_seconds=10)
    )
    url = "https://s3.amazonaws.com/echo.api/valid.pem"
    results, threads = in_threads(3, lambda: cache.signing_key(url))  # one leads, two wait
    wait_until(lambda: fetch.running == 1 and cache._waiting == 2)
    assert rejection(cache.signing_key, url).check == "cert_busy"
    fetch.release.set()
    for thread in threads:
        thread.join(5)
    assert sum(isinstance(key, RSAPublicKey) for key in results) == 3


def test_new_urls_per_minute_are_capped(pki, caplog):
    fetched = Counter()
    clock = MutableClock(dt.datetime.now(UTC))
    cache = CertificateCache(
        trust_roots=[pki.root],
        fetch=counting_fetch(pki, "valid", fetched),
        clock=clock,
        max_entries=100,
        limits=FetchLimits(new_urls_per_minute=3),
    )
    for n in range(3):
        cache.signing_key(f"https://s3.amazonaws.com/echo.api/n{n}.pem")
    for n in range(3, 6):
        refused = rejection(cache.signing_key, f"https://s3.amazonaws.com/echo.api/n{n}.pem")
        assert refused.check == "cert_rate"
    assert cache.signing_key("https://s3.amazonaws.com/echo.api/n0.pem")  # cached ones still work
    budget_warnings = [r for r in caplog.records if "fetch budget spent" in r.getMessage()]
    assert len(budget_warnings) == 1 and budget_warnings[0].levelname == "WARNING"
    clock.now += dt.timedelta(seconds=61)
    cache.signing_key("https://s3.amazonaws.com/echo.api/n3.pem")
    assert sum(fetched.values()) == 4


def test_a_fetch_that_trickles_is_cut_off_at_its_deadline():
    import socket as socket_module

    listener = socket_module.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000:
                if stop.wait(0.05):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/echo.api/x.pem"
    started = dt.datetime.now()
    try:
        with pytest.raises(CertificateFetchError, match="within 0.5 s"):
            fetch_certificate_chain(url, timeout=0.5)
    finally:
        stop.set()
        listener.close()
        thread.join(5)
    # Every byte came well inside a socket timeout of 0.5 s, yet the whole fetch was cut off.
    assert dt.datetime.now() - started < dt.timedelta(seconds=3)


def test_requests_wait_for_a_slow_fetch_only_in_its_first_moments(pki):
    """However many requests name a URL whose fetch hangs, they hold threads for at most
    ``follow_seconds`` of it; after that they are refused at once."""
    fetch = GatedFetch(pki)
    cache = CertificateCache(trust_roots=[pki.root], fetch=fetch, limits=FetchLimits(follow_seconds=0.3))
    url = "https://s3.amazonaws.com/echo.api/hangs.pem"
    _, leader = in_threads(1, lambda: cache.signing_key(url))
    wait_until(lambda: fetch.running == 1)
    started = dt.datetime.now()
    waited = rejection(cache.signing_key, url)  # joined in time, gave up at the 0.3 s mark
    late = dt.datetime.now()
    refused = rejection(cache.signing_key, url)  # past 0.3 s: refused without waiting
    assert (waited.check, refused.check) == ("cert_busy", "cert_busy")
    assert "taken over 0.3 s" in refused.message
    assert dt.timedelta(seconds=0.1) < late - started < dt.timedelta(seconds=2)
    assert dt.datetime.now() - late < dt.timedelta(seconds=0.1)
    fetch.release.set()
    leader[0].join(5)
    assert isinstance(cache.signing_key(url), RSAPublicKey)  # the leader's fetch still counted
    assert fetch.started == Counter({url: 1})


def test_once_a_key_is_cached_only_a_few_may_wait_for_a_new_url(pki):
    fetch = GatedFetch(pki)
    limits = FetchLimits(max_waiters=64, max_waiters_warm=2, follow_seconds=10)
    cache = CertificateCache(trust_roots=[pki.root], fetch=fetch, limits=limits)
    fetch.release.set()
    cache.signing_key("https://s3.amazonaws.com/echo.api/current.pem")  # now warm
    fetch.release.clear()
    url = "https://s3.amazonaws.com/echo.api/new.pem"
    results, threads = in_threads(3, lambda: cache.signing_key(url))  # one leads, two wait
    wait_until(lambda: fetch.running == 1 and cache._waiting == 2)
    assert rejection(cache.signing_key, url).check == "cert_busy"
    assert cache.signing_key("https://s3.amazonaws.com/echo.api/current.pem")  # unaffected
    fetch.release.set()
    for thread in threads:
        thread.join(5)
    assert sum(isinstance(key, RSAPublicKey) for key in results) == 3
