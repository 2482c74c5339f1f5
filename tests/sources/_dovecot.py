"""A real IMAP server for tests: Debian's dovecot, started from a generated configuration.

It listens on 127.0.0.1 (plain and TLS ports) with one user, ``citizen`` / ``test-password``.
Without dovecot the caller skips with the reason — except under ``CI=true``, where a missing
server is a failure.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from qingting.sources.imap import ImapConnector

KEY = b"mailbox-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dovecot() -> str:
    exe = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if exe is None:
        reason = "dovecot is not installed (apt-get install -y dovecot-imapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — required under CI=true")
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return exe


@dataclass
class Mailbox:
    port: int
    tls_port: int
    ca_file: Path
    maildir: Path
    uid: int
    gid: int
    files: list[Path]  # message i (0-based) has IMAP UID i + 1

    def connector(self, **kw: object) -> ImapConnector:
        return ImapConnector(
            "localhost", "citizen", "test-password", key=KEY, port=self.port, security="plain",
            allow_hosts=frozenset({"localhost"}), **kw,  # type: ignore[arg-type]
        )  # fmt: skip

    def deliver(self, raw: bytes, name: str) -> None:
        path = self.maildir / "new" / name
        path.write_bytes(raw)
        os.chown(path, self.uid, self.gid)


@contextlib.contextmanager
def dovecot(messages: Sequence[bytes]) -> Iterator[Mailbox]:
    """A running dovecot whose INBOX holds ``messages`` (message i gets UID i + 1)."""
    exe = _dovecot()
    # Not pytest's tmp_path: its parents are 0700, and dovecot's unprivileged processes must reach in.
    root = Path(tempfile.mkdtemp(prefix="qingting-dovecot-"))
    root.chmod(0o755)
    maildir = root / "home" / "citizen" / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    if os.getuid() == 0:  # dovecot never runs mail processes as root
        user = pwd.getpwnam("dovecot") if _has_user("dovecot") else pwd.getpwnam("nobody")
        uid, gid = user.pw_uid, user.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    for i, raw in enumerate(messages):
        (maildir / "new" / f"{i:06d}.qingting.test").write_bytes(raw)
    for p in [root / "home", *root.joinpath("home").rglob("*")]:
        os.chown(p, uid, gid)
    port, tls_port = _free_port(), _free_port()
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    (root / "passwd").write_text("citizen:{PLAIN}test-password::::::\n")
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:{root}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    subprocess.run([exe, "-c", str(conf)], check=True)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not start: {(root / 'dovecot.log').read_text()}") from None
            time.sleep(0.05)
    try:
        yield Mailbox(port, tls_port, cert, maildir, uid, gid, [])
    finally:
        subprocess.run([exe, "-c", str(conf), "stop"], check=False)
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
