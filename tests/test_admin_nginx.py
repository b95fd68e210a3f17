"""`login --to` through Debian's real nginx with TLS, configured with docs/proxy.md's blocks.

The hand-over must work over https and be refused over plain http, with the reverse proxy
configured exactly as the documentation says.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proxy.spotify.store import StoredToken, read_store, write_store
from tests.fakes.accounts import StrictAccounts
from tests.fakes.net import free_port
from tests.grant_processes import proxy_process
from tests.login_process import CliProcess, consent
from tests.nginx_server import running_nginx
from tests.processes import clean_env

DOC = Path(__file__).resolve().parent.parent / "docs" / "proxy.md"
ADMIN_TOKEN = secrets.token_urlsafe(32)


def documented_locations(upstream_port: int, admin_block: bool) -> str:
    """The site's `/spotify/` locations (and the admin location), aimed at the test's proxy."""
    blocks: list[str] = re.findall(r"```nginx\n(.*?)```", DOC.read_text(), re.DOTALL)
    (site,) = [block for block in blocks if "location /spotify/ " in block]
    (admin,) = [block for block in blocks if "admin/grant" in block]
    chosen = site + admin if admin_block else site
    return chosen.replace("127.0.0.1:8787", f"127.0.0.1:{upstream_port}")


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@contextmanager
def nginx(
    folder: Path, upstream_port: int, cert: Path, key: Path, admin_block: bool = True
) -> Iterator[tuple[str, str]]:
    """nginx with the documented locations on a TLS port and a plain port: (https, http)."""
    tls, plain = free_port(), free_port()
    body = f"""
    server {{
        listen 127.0.0.1:{tls} ssl;
        listen 127.0.0.1:{plain};
        ssl_certificate {cert};
        ssl_certificate_key {key};
{documented_locations(upstream_port, admin_block)}
    }}"""
    with running_nginx(folder, body, [tls, plain]):
        yield f"https://127.0.0.1:{tls}/spotify", f"http://127.0.0.1:{plain}/spotify"


def put_as_the_site(
    base: str, body: bytes, context: ssl.SSLContext | None = None
) -> tuple[int, str]:
    """PUT a grant the way a browser on the Internet reaches the blog (its own Host name)."""
    request = urllib.request.Request(f"{base}/v1/admin/grant", data=body, method="PUT")
    request.add_header("Authorization", f"Bearer {ADMIN_TOKEN}")
    request.add_header("Host", "blog.example.com")
    try:
        with urllib.request.urlopen(request, timeout=15, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def test_login_to_through_nginx_works_over_https_and_is_refused_over_http(tmp_path: Path) -> None:
    fake = StrictAccounts(access_token_lifetime=0.5)
    cert, key = self_signed(tmp_path)
    with fake.running():
        store = tmp_path / "server" / "token.json"
        old = fake.issue_grant()
        old_day = datetime.now(UTC).replace(microsecond=0) - timedelta(days=170)
        write_store(store, StoredToken(old, fake.client_id, fake.scopes, old_day))
        env = clean_env({**fake.env(store), "SPOTIFY_PROXY_ADMIN_TOKEN": ADMIN_TOKEN})
        with proxy_process(env, tmp_path) as proxy:
            port = int(proxy.url.rsplit(":", 1)[1])
            with nginx(tmp_path, port, cert, key) as (https, http):
                grant = StoredToken(fake.issue_grant(), fake.client_id, fake.scopes, old_day)
                body = json.dumps(grant.to_json()).encode()
                over_http = put_as_the_site(http, body, None)

                laptop = tmp_path / "laptop"
                laptop.mkdir()
                laptop_env = {
                    **fake.env(laptop / "token.json"),
                    "SPOTIFY_PROXY_ADMIN_TOKEN": ADMIN_TOKEN,
                    "SSL_CERT_FILE": str(cert),  # trust the test's certificate
                }
                plain_login = CliProcess(
                    ["login", "--no-browser", "--to", http], laptop_env, laptop
                )
                plain_code = plain_login.finish()
                login = CliProcess(
                    ["login", "--no-browser", "--port", str(free_port()), "--to", https],
                    laptop_env,
                    laptop,
                )
                login.write(consent(login.wait_for_line(f"{fake.url}/authorize?")) + "\n")
                code = login.finish()
                ready = proxy.get("/readyz")[1]
                log = proxy.log_text()
        stored = read_store(store)

    assert over_http[0] == 403
    assert "refuses plain http" in over_http[1]
    assert plain_code == 1
    assert "refuses plain http" in plain_login.stderr
    assert code == 0, login.output
    assert "switched to it; it refreshed with it" in login.stdout
    assert ready["grant_days_left"] > 170
    assert stored is not None
    assert stored.refresh_token in fake.refresh_tokens
    assert stored.refresh_token not in (old, grant.refresh_token)
    assert fake.reuses == 0
    for secret in (ADMIN_TOKEN, *fake.spent):
        assert secret not in log
        assert secret not in login.output + plain_login.output


def test_without_the_admin_location_nginx_forwards_plain_http_that_is_refused(
    tmp_path: Path,
) -> None:
    """The site's `location /spotify/` sets Host but not X-Forwarded-Proto: not proof of https."""
    fake = StrictAccounts()
    cert, key = self_signed(tmp_path)
    with fake.running():
        store = tmp_path / "server" / "token.json"
        old = fake.issue_grant()
        write_store(store, StoredToken(old, fake.client_id, fake.scopes, datetime.now(UTC)))
        env = clean_env({**fake.env(store), "SPOTIFY_PROXY_ADMIN_TOKEN": ADMIN_TOKEN})
        with proxy_process(env, tmp_path) as proxy:
            port = int(proxy.url.rsplit(":", 1)[1])
            with nginx(tmp_path, port, cert, key, admin_block=False) as (https, http):
                grant = StoredToken(fake.issue_grant(), fake.client_id, fake.scopes, None)
                body = json.dumps(grant.to_json()).encode()
                over_http = put_as_the_site(http, body)
                over_https = put_as_the_site(https, body, ssl.create_default_context(cafile=cert))
        stored = read_store(store)
    for status, text in (over_http, over_https):
        assert status == 403
        assert "X-Forwarded-Proto" in text
    assert stored is not None
    assert stored.refresh_token == old
