"""`orgsite authd REPO`: the web door nginx asks (`auth_request`) on every request, and its sign-in pages."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from granian import Granian
from granian.constants import Interfaces

from orgsite.access.statements import StatementError, site_url
from orgsite.errors import OrgsiteError
from orgsite.repo import CommunityRepo
from orgsite.snapshot import Snapshots

if TYPE_CHECKING:
    from orgsite.access.web import DoorApp


def _address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise OrgsiteError(f"--listen {listen!r} must be HOST:PORT, like 127.0.0.1:8081")
    return host.strip("[]"), int(port)


def authd(repo_path: Path, *, listen: str | None, socket: Path | None, site: str | None,
          say: Callable[[str], None]) -> None:  # fmt: skip
    """Serve the door until stopped (SIGTERM or Ctrl-C), on `listen` (host:port) or a unix `socket`."""
    repo = CommunityRepo(repo_path)
    if repo.work_dir is not None:
        raise OrgsiteError(f"{repo_path} is a clone; run the door on the server's bare repository")
    snapshots = Snapshots(repo)
    tip = repo.branch_tip(snapshots.branch())
    community = snapshots.community(tip) if tip else None
    address = site or (community.url if community else "")
    if not address:
        raise OrgsiteError("the door needs the site's address: pass --site https://… (or set url in community.toml)")
    try:
        address = site_url(address)
    except StatementError as e:
        raise OrgsiteError(str(e)) from None
    if (listen is None) == (socket is None):
        raise OrgsiteError("give one of --listen 127.0.0.1:PORT or --socket PATH")
    host, port = _address(listen) if listen else ("127.0.0.1", 0)
    os.environ.update({_REPO: str(repo.git_dir), _SITE: address, _NAME: community.name if community else "community"})
    server = Granian(
        "orgsite.commands.authd:door_from_environment", factory=True, interface=Interfaces.WSGI,
        address=host, port=port, uds=socket, uds_permissions=0o660 if socket else None, workers=1,
        blocking_threads=4, log_enabled=False,
    )  # fmt: skip
    say(f"The door of {address} is open on {listen or socket} (SIGTERM or Ctrl-C stops it)")
    server.serve()


_REPO, _SITE, _NAME = "ORGSITE_DOOR_REPO", "ORGSITE_DOOR_SITE", "ORGSITE_DOOR_NAME"


def door_from_environment() -> DoorApp:
    """The door application for the server's worker process (which receives its settings in the environment)."""
    # Imported here, in the worker only: the supervising process stays small.
    from orgsite.access.door_files import door_store_path
    from orgsite.access.roster import Roster
    from orgsite.access.store import DoorStore
    from orgsite.access.web import DoorApp

    repo = CommunityRepo(os.environ[_REPO])
    return DoorApp(Roster(repo.git_dir), DoorStore(door_store_path(repo)), site=os.environ[_SITE],
                   community_name=os.environ[_NAME])  # fmt: skip
