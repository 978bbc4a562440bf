"""A certificate authority and a server certificate for 127.0.0.1, made fresh for a test run
(the `cryptography` package), so TLS is tested for real: a real handshake, a real refusal."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Certificates:
    ca: Path  # what a kiosk's ca_file points at
    cert: Path  # the server's certificate
    key: Path  # and its private key
    ca_key: Path | None = None  # the CA's own key, to sign more certificates with it


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_certificates(
    folder: Path,
    school: str = "阳光小学 CA",
    *,
    valid_from: timedelta = -timedelta(days=1),
    address: str = "127.0.0.1",
    ca_of: Certificates | None = None,
) -> Certificates:
    """A CA and a server certificate for ``address``, valid from ``valid_from`` from now.

    A certificate valid only from next month is what a kiosk whose clock is a month behind sees.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    if ca_of is not None and ca_of.ca_key is not None:
        ca = x509.load_pem_x509_certificate(ca_of.ca.read_bytes())
        loaded = serialization.load_pem_private_key(ca_of.ca_key.read_bytes(), None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        return _server(folder, ca, loaded, now, valid_from, address)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(school))
        .issuer_name(_name(school))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _server(folder, ca, ca_key, now, valid_from, address)


def _server(
    folder: Path,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    now: datetime,
    valid_from: timedelta,
    address: str,
) -> Certificates:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("library server"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + valid_from)
        .not_valid_after(now + valid_from + timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(
        folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "ca.key"
    )
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    for path, private in ((paths.key, key), (paths.ca_key, ca_key)):
        assert path is not None
        path.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return paths
