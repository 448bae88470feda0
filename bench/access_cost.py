"""What the web door costs (run by hand: python bench/access_cost.py).

A community of 100 members (100 posts), its site built and served by a real nginx twice, side by
side: once plain, once behind `auth_request` to a real `orgsite authd`. The same static page is
fetched 1,000 times one after another and 1,000 times 16 at once, through each, in interleaved
rounds; medians per request and the ratio. Then `/_orgsite/check` alone (the WSGI app called in
process, and over HTTP straight to authd), and authd's resident memory idle and after the run.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from build_cost import community, keys, workspace  # noqa: E402

from orgsite.access.door_files import door_store_path  # noqa: E402
from orgsite.access.roster import Roster  # noqa: E402
from orgsite.access.store import DoorStore, clock  # noqa: E402
from orgsite.access.web import DoorApp  # noqa: E402
from orgsite.repo import CommunityRepo  # noqa: E402
from tests.servers import authd, free_port, nginx  # noqa: E402

PAGE = "/members/"


def fetch(port: int, cookie: str, count: int, path: str = PAGE, status: int = 200) -> list[float]:
    """Seconds per request for `count` GETs of `path` on one kept-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    took = []
    for _ in range(count):
        start = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": f"orgsite_session={cookie}", "Host": "localhost"})
        response = connection.getresponse()
        response.read()
        took.append(time.perf_counter() - start)
        assert response.status == status, response.status
    connection.close()
    return took


def concurrent(port: int, cookie: str, count: int, width: int = 16) -> tuple[list[float], float]:
    """Per-request seconds and wall seconds for `count` GETs, `width` at once."""
    with ThreadPoolExecutor(width) as pool:
        start = time.perf_counter()
        parts = list(pool.map(lambda _: fetch(port, cookie, count // width), range(width)))
        wall = time.perf_counter() - start
    return [t for part in parts for t in part], wall


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (the door's server and its worker)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for each in [pid, *map(int, children)]:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (each does its share)")
    args = parser.parse_args()
    keys(100)
    bare = community(100, members=100)
    with workspace() as work:
        site_dir = work / "site"
        subprocess.run([sys.executable, "-m", "orgsite", "build", str(bare), "--out", str(site_dir)],
                       check=True, capture_output=True)  # fmt: skip
        repo = CommunityRepo(bare)
        member = Roster(bare).allowlist().members[-1]
        store = DoorStore(door_store_path(repo))
        cookie = store.new_session(member.fingerprints[0], clock())
        store.close()
        plain_port, door_port, guarded_port = free_port(), free_port(), free_port()
        plain = work / "plain"
        plain.mkdir()
        (plain / "nginx.conf").write_text(f"""
daemon off; user root; worker_processes 1; pid {plain}/nginx.pid; error_log {plain}/error.log warn;
events {{ worker_connections 256; }}
http {{ include /etc/nginx/mime.types; access_log off;
  client_body_temp_path {plain}/b; proxy_temp_path {plain}/p; fastcgi_temp_path {plain}/f; uwsgi_temp_path {plain}/u;
  scgi_temp_path {plain}/s;
  server {{ listen 127.0.0.1:{plain_port}; root {site_dir}; location / {{ try_files $uri $uri/ =404; }} }} }}
""")
        plain_server = subprocess.Popen(["nginx", "-c", str(plain / "nginx.conf")], stderr=subprocess.DEVNULL)
        site = f"http://localhost:{guarded_port}/"
        try:
            with authd(bare, port=door_port, site=site), nginx(work / "guarded", port=guarded_port, site_dir=site_dir,
                                                                door_port=door_port):  # fmt: skip
                door_pid = int(subprocess.run(["pgrep", "-f", f"authd {bare} --listen 127.0.0.1:{door_port}"],
                                              capture_output=True, text=True).stdout.split()[0])  # fmt: skip
                idle = rss_kib(door_pid)
                fetch(plain_port, cookie, 50), fetch(guarded_port, cookie, 50)  # warm both
                share = args.requests // args.rounds
                results: dict[str, list[float]] = {"plain": [], "door": [], "plain16": [], "door16": []}
                walls: dict[str, list[float]] = {"plain16": [], "door16": []}
                for _ in range(args.rounds):
                    results["plain"] += fetch(plain_port, cookie, share)
                    results["door"] += fetch(guarded_port, cookie, share)
                    for name, port in (("plain16", plain_port), ("door16", guarded_port)):
                        took, wall = concurrent(port, cookie, share)
                        results[name] += took
                        walls[name].append(wall)
                after = rss_kib(door_pid)
                direct = fetch(door_port, cookie, args.requests, "/_orgsite/check", 204)
        finally:
            plain_server.terminate()
            plain_server.wait()
        app = DoorApp(Roster(bare), DoorStore(door_store_path(repo)), site=site, community_name="bench")
        in_process = wsgi_check(app, cookie, 10_000)
    ms = {name: statistics.median(values) * 1000 for name, values in results.items()}
    print(f"community: 100 members, {PAGE} of its site; {args.requests} requests each, "
          f"{args.rounds} interleaved rounds")
    print(f"one at a time:  plain {ms['plain']:.3f} ms, behind the door {ms['door']:.3f} ms "
          f"(median per request; {ms['door'] / ms['plain']:.2f}x)")
    print(f"16 at once:     plain {ms['plain16']:.3f} ms, behind the door {ms['door16']:.3f} ms "
          f"(median per request; {ms['door16'] / ms['plain16']:.2f}x); wall per round "
          f"{statistics.median(walls['plain16']):.2f} s vs {statistics.median(walls['door16']):.2f} s")
    print(f"/_orgsite/check: {statistics.median(in_process) * 1e6:.0f} µs in process (median of 10,000), "
          f"{statistics.median(direct) * 1e3:.3f} ms over HTTP straight to authd (median of {args.requests})")
    print(f"authd resident memory (server and worker): {idle / 1024:.1f} MiB idle, "
          f"{after / 1024:.1f} MiB after the run")


def wsgi_check(app: DoorApp, cookie: str, count: int) -> list[float]:
    import io

    took = []
    for _ in range(count):
        environ = {"PATH_INFO": "/_orgsite/check", "REQUEST_METHOD": "GET", "HTTP_COOKIE": f"orgsite_session={cookie}",
                   "wsgi.input": io.BytesIO()}  # fmt: skip
        start = time.perf_counter()
        app(environ, lambda status, headers: None)
        took.append(time.perf_counter() - start)
    return took


if __name__ == "__main__":
    main()
