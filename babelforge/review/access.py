"""Who may reach a review server: the ``Host`` names it answers to and the tokens it accepts.

DNS rebinding: a page on ``evil.example`` can point its own name at 127.0.0.1 and then read and
write a loopback server as if it were its own origin; the browser still sends ``Host: evil.example``.
So the server answers only ``Host`` values that name it: the address it is bound to and the loopback
names (``127.0.0.1``, ``localhost``, ``[::1]``), each with its port. Bound to every interface
(``0.0.0.0`` or ``::``), it also answers the machine's own names and addresses (host name, FQDN,
what they resolve to, the address of the default route); ``--allowed-host`` adds more (a name alone
matches any port, ``name:port`` one port, ``*`` any host).

Tokens never need the command line (where ``ps`` shows them): ``BABELFORGE_REVIEW_TOKEN`` or
``--token-file``. ``--tokens FILE`` gives each annotator a token of their own (``name token`` per
line); a request carrying one acts only under its owner's name.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Iterable
from pathlib import Path

from babelforge.errors import ReviewError
from babelforge.review.schema import control_character

TOKEN_ENV = "BABELFORGE_REVIEW_TOKEN"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
ANY_HOST = ("*", None)
MAX_NAME = 64

HostName = tuple[str, int | None]  # (name without brackets, lower case; port, None: any port)


def split_host(value: str) -> HostName | None:
    """``"Example.org:8080"`` as ``("example.org", 8080)``; ``[::1]:80`` as ``("::1", 80)``; None if malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, closed, rest = value[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] or None
    elif value.count(":") == 1:
        name, port = value.split(":")
    else:  # a plain name, or a bare IPv6 address (only ever from --allowed-host)
        name, port = value, None
    if not name or (port is not None and not (port.isdigit() and int(port) < 65536)):
        return None
    return name, int(port) if port is not None else None


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` listens on this machine only (names resolve; unknown names do not count)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def allowed_hosts(bind: str, port: int, extra: Iterable[str] = ()) -> frozenset[HostName]:
    """The ``Host`` values a server bound to ``bind:port`` answers (see the module docstring).

    Raises:
        ReviewError: for an ``--allowed-host`` value that is not a host name.
    """
    names = {*LOOPBACK_NAMES, bind.strip("[]").lower()} - set(WILDCARDS)
    if not is_loopback(bind):
        names |= machine_names(all_interfaces=bind in WILDCARDS)
    hosts = {(name, port) for name in names}
    for value in extra:
        parsed = ANY_HOST if value.strip() == "*" else split_host(value)
        if parsed is None:
            raise ReviewError(f"--allowed-host {value!r}: give a host name or address, with or without :port, or *")
        hosts.add(parsed)
    return frozenset(hosts)


def host_allowed(header: str, hosts: frozenset[HostName]) -> bool:
    """Whether a request's ``Host`` header names this server (no port: the HTTP default, 80)."""
    if ANY_HOST in hosts:
        return True
    parsed = split_host(header)
    if parsed is None:
        return False
    name, port = parsed
    return (name, port or 80) in hosts or (name, None) in hosts


def machine_names(all_interfaces: bool) -> set[str]:
    """This machine's host name, FQDN and their addresses; with ``all_interfaces``, the default route's."""
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    with contextlib.suppress(OSError):
        names |= {info[4][0].split("%")[0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    if all_interfaces:
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet leaves: the kernel only picks the outgoing address
            names.add(probe.getsockname()[0])
    return {name for name in names if name}


def read_token(token: str | None, token_file: Path | None) -> str | None:
    """The shared token: ``--token-file``, else ``--token``, else ``$BABELFORGE_REVIEW_TOKEN``; None if none.

    Raises:
        ReviewError: for both ``--token`` and ``--token-file``, or an empty or unreadable file.
    """
    if token and token_file:
        raise ReviewError("--token and --token-file both given: keep --token-file (--token shows in `ps`)")
    if token_file is None:
        return (token or os.environ.get(TOKEN_ENV, "")).strip() or None
    try:
        lines = token_file.read_text(encoding="utf-8-sig").splitlines()  # a BOM (Notepad) is not text
    except (OSError, UnicodeDecodeError) as error:
        raise ReviewError(f"--token-file {token_file}: cannot read it ({error})") from None
    secret = lines[0].strip() if lines else ""
    if not secret:
        raise ReviewError(f"--token-file {token_file}: the first line is empty; write the token there")
    return secret


def read_annotator_tokens(path: Path) -> dict[str, str]:
    """``--tokens FILE``: one ``name token`` per line (``#`` comments, blank lines ignored) as token -> name.

    Raises:
        ReviewError: naming the line with no token, a bad name, or a name or token given twice.
    """
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a BOM (Notepad) is not text
    except (OSError, UnicodeDecodeError) as error:
        raise ReviewError(f"--tokens {path}: cannot read it ({error})") from None
    owners: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.strip().rsplit(None, 1)
        where = f"--tokens {path}:{number}"
        if len(parts) != 2:
            raise ReviewError(f"{where}: expected 'name token', got one field")
        name, token = parts[0].strip(), parts[1]
        if len(name) > MAX_NAME:
            raise ReviewError(f"{where}: annotator name {name[:80]!r} is longer than {MAX_NAME} characters")
        if control_character(name) is not None:
            raise ReviewError(f"{where}: annotator name {name[:80]!r} holds a control character; give plain text")
        if token in owners or name in owners.values():
            raise ReviewError(f"{where}: {'token' if token in owners else f'name {name!r}'} given twice")
        owners[token] = name
    if not owners:
        raise ReviewError(f"--tokens {path}: no 'name token' line in it")
    return owners
