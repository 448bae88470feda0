"""The command line: the only code that reads argv, prints errors and chooses exit codes."""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from orgsite import __version__
from orgsite.errors import OrgsiteError
from orgsite.model import Role, short_id
from orgsite.textsafe import terminal_safe

if TYPE_CHECKING:
    from orgsite.progress import Progress
    from orgsite.signing_clone import Committed

_existing_dir = click.Path(exists=True, file_okay=False, path_type=Path)


def _echo(message: object = "", *, err: bool = False) -> None:
    """Print one line; member-controlled text in it (titles, names, paths, user ids) cannot drive the
    terminal: control characters are shown escaped."""
    click.echo(terminal_safe(str(message)), err=err)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orgsite")
def cli() -> None:
    """orgsite: a private community as a Git repository of signed posts, and its transparent site."""


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--community", required=True, help="The community's name, shown on its site.")
@click.option("--handle", required=True, help="Your handle as first operator (a-z, 0-9, '-').")
@click.option("--key", required=True, help="Fingerprint of your OpenPGP key (with its secret part).")
@click.option("--branch", default="main", show_default=True, help="The community branch.")
@click.option("--description", default="", help="One line about the community.")
@click.option("--site", type=click.Path(path_type=Path), help="Also rebuild this site folder after every push.")
@click.option("--authorized-keys", "authorized_keys", type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the members' SSH keys in this authorized_keys file after every push.")  # fmt: skip
def init(
    path: Path,
    community: str,
    handle: str,
    key: str,
    branch: str,
    description: str,
    site: Path | None,
    authorized_keys: Path | None,
) -> None:
    """Create a bare community repository at PATH with hooks and a signed introduction commit."""
    from orgsite.commands.init import init as found

    founded = found(path, community=community, handle=handle, key=key, branch=branch, description=description,
                    site=site, authorized_keys=authorized_keys)  # fmt: skip
    if founded.first_build is not None:
        _echo_site_enabled(site, founded.first_build)
    if founded.ssh_keys is not None:
        _echo(f"SSH access enabled: {authorized_keys and authorized_keys.absolute()} holds {founded.ssh_keys} key(s).")
    _echo(f"Created community {founded.name!r} at {founded.path}")
    _echo(f"Introduction commit: {founded.introduction} (stored as orgsite.introduction)")
    _echo(f"Next: git clone {founded.path} && cd {path.name.removesuffix('.git')} && orgsite member add …")


def _echo_site_enabled(site: Path | None, first_build: str) -> None:
    _echo(f"Site enabled: {site and site.absolute()} is rebuilt after every accepted push.")
    _echo(f"First build: {first_build}")


def _echo_committed(done: Committed) -> None:
    said = f"{done.message}: committed {short_id(done.commit)} ({', '.join(done.paths)})"
    if done.pushed is None:
        _echo(f"{said}, signed by {done.signer}.")
        _echo("Next: git push")
    else:
        _echo(f"{said} and pushed.")
        _echo(done.pushed)


@cli.group()
def member() -> None:
    """Add or remove members (operators only, in a clone)."""


_signing_key = click.option("--key", "signing_key", help="Sign with this key instead of git's user.signingkey.")
_push = click.option("--push", "push_now", is_flag=True, help="Push the commit right away.")
_repo = click.option("--repo", "repo_dir", type=_existing_dir, default=".", help="The clone (default: here).")


@member.command("add")
@click.argument("handle")
@click.argument("key_file", type=click.Path(path_type=Path))
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MEMBER.value, show_default=True)
@click.option(
    "--ssh-key",
    "ssh_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The member's SSH public key file (.pub), for git over SSH (repeat for more).",
)
@_signing_key
@_push
@_repo
def member_add(
    handle: str,
    key_file: Path,
    role: str,
    ssh_keys: tuple[Path, ...],
    signing_key: str | None,
    push_now: bool,
    repo_dir: Path,
) -> None:
    """Add HANDLE with the public key in KEY_FILE to the allowlist, as a signed commit."""
    from orgsite.commands.member import add

    _echo_committed(add(repo_dir, handle, key_file, role=Role(role), ssh_key_files=ssh_keys, signing_key=signing_key,
                        push_now=push_now))  # fmt: skip


@member.command("remove")
@click.argument("handle")
@_signing_key
@_push
@_repo
def member_remove(handle: str, signing_key: str | None, push_now: bool, repo_dir: Path) -> None:
    """Remove HANDLE from the allowlist (their past posts stay), as a signed commit."""
    from orgsite.commands.member import remove

    _echo_committed(remove(repo_dir, handle, signing_key=signing_key, push_now=push_now))


@member.command("invite")
@click.argument("handle")
@click.option("--site", help="The site's address (default: url in community.toml).")
@click.option("--hours", type=click.IntRange(1, 14 * 24), default=72, show_default=True, help="How long it works.")
@_signing_key
@_repo
def member_invite(handle: str, site: str | None, hours: int, signing_key: str | None, repo_dir: Path) -> None:
    """Print a single-use sign-in link (and its QR code) for HANDLE, who needs no terminal to use it."""
    import io

    import segno

    from orgsite.commands.member import invite

    link = invite(repo_dir, handle, site=site, hours=hours, signing_key=signing_key)
    code = io.StringIO()
    segno.make(link, error="l").terminal(out=code, compact=True, border=2)
    _echo(f"A sign-in link for @{handle}, valid once, for {hours} hours (send it privately):")
    _echo(link)
    click.echo(code.getvalue(), nl=False)  # block characters only, nothing a terminal would act on


@cli.command()
@click.argument("url")
@click.option("--print", "print_only", is_flag=True, help="Print the sign-in link instead of opening a browser.")
@_signing_key
@_repo
def login(url: str, print_only: bool, signing_key: str | None, repo_dir: Path) -> None:
    """Sign in to the community's site at URL with the key you commit with (opens your browser)."""
    import webbrowser

    from orgsite.commands.login import login as sign_in

    link = sign_in(url, signing_key=signing_key, repo_dir=repo_dir)
    if print_only or not webbrowser.open(link):
        _echo(link)
        return
    _echo("Opened your browser, signed in (the link works once, for two minutes).")


@cli.command()
@click.argument("repo", type=_existing_dir, default=".")
@click.option("--listen", help="Where nginx reaches the door, e.g. 127.0.0.1:8081.")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path), help="Or a unix socket for nginx.")
@click.option("--site", help="The site's address, as readers type it (default: url in community.toml).")
def authd(repo: Path, listen: str | None, socket_path: Path | None, site: str | None) -> None:
    """Serve the web door that nginx asks on every request (auth_request), with the sign-in pages."""
    from orgsite.commands.authd import authd as serve_door

    serve_door(repo, listen=listen, socket=socket_path, site=site, say=lambda line: _echo(line, err=True))


@cli.command()
@click.argument("repo", type=_existing_dir, default=".")
@click.option("--branch", help="The community branch (default: from community.toml).")
@click.option("--introduction", help="The introduction commit (default: orgsite.introduction in git config).")
@click.option("--site", help="A built site (folder or https:// address) to compare with a rebuild of REPO.")
@click.option("--cookie", help="For a site behind the door: your browser's 'orgsite_session=…' cookie.")
def verify(repo: Path, branch: str | None, introduction: str | None, site: str | None, cookie: str | None) -> int:
    """Audit every commit of REPO's community branch with the server's rules; with --site, check that a
    site serves exactly what REPO's signed history builds to."""
    if site:
        from orgsite.commands.check_site import check_site

        found = check_site(repo, site, cookie=cookie)
        for line in (*found.differences, *found.notes):
            _echo(line)
        verdict = "all match" if not found.differences else f"{len(found.differences)} differ"
        _echo(
            f"{site} renders {found.commit[:7]}: {found.checked} files rebuilt from your clone and compared, {verdict}"
        )
        return 1 if found.differences else 0

    from orgsite.commands.verify import report_lines, verify_repository

    report = verify_repository(repo, branch=branch, introduction=introduction, progress=_progress())
    for line in report_lines(report):
        _echo(line)
    return 0 if report.ok else 1


@cli.command()
@click.argument("repo", type=_existing_dir, default=".")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The site folder (replaced whole).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A base mkdocs.yml instead of orgsite's own.",
)
@click.option("--branch", help="The community branch (default: from community.toml).")
@click.option("--full", is_flag=True, help="Build every page, even those the site at --out already has right.")
def build(repo: Path, out: Path, config_file: Path | None, branch: str | None, full: bool) -> None:
    """Render REPO's community branch into a static site at --out (atomically). When --out holds a site
    orgsite built, only the pages that changed are built again (the same bytes as a full build)."""
    from orgsite.commands.build import build as build_site

    report = build_site(repo, out, config_file=config_file, branch=branch, full=full, progress=_progress())
    for warning in report.warnings:
        _echo(f"warning: {warning}", err=True)
    for note in report.notes:
        _echo(f"note: {note}", err=True)
    done = f"Updated {report.redone} of {report.pages} pages" if report.incremental else f"Built {report.pages} pages"
    _echo(f"{done} ({report.posts} posts, {report.commits} commits) into {report.out}")
    _echo(f"Open {report.out / 'index.html'}, or serve it: python3 -m http.server -d {report.out} 8000")


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
def demo(directory: Path) -> None:
    """Make a complete demo community under DIRECTORY through real pushes, and build its site."""
    from orgsite.commands.demo import make_demo
    from orgsite.commands.verify import report_lines

    made = make_demo(directory)
    _echo(f"Demo community: {made.bare}")
    _echo(f"Members' clones: {made.root / 'clones'}  (their keys: GNUPGHOME={made.root / 'gnupg'})")
    _echo("Audit: " + report_lines(made.report)[-1])
    _echo(f"Site: {made.site.out / 'index.html'}")
    _echo(f"Serve it: orgsite serve {made.bare}   (rebuilds on every push; Ctrl-C stops)")
    _echo(f"      or: python3 -m http.server -d {made.site.out} 8000   (then open http://127.0.0.1:8000/)")


@cli.command()
@click.option("--name", required=True, help="Your name, as the other members know you.")
@click.option("--email", required=True, help="Your email: finds your existing key, or goes into a new one.")
@click.option("--handle", help="The handle you would like (default: from your email).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write your public key.")
@click.option("--no-passphrase", is_flag=True, help="Make a new key without a passphrase (gpg asks otherwise).")
def join(name: str, email: str, handle: str | None, out: Path | None, no_passphrase: bool) -> None:
    """Get a signing key (reused or new) and write the public key file to send to an operator."""
    from orgsite.commands.join import join as join_community

    _echo(join_community(name, email, handle=handle, out=out, passphrase=not no_passphrase))


def _editor(text: str) -> str | None:
    return click.edit(text, extension=".md", require_save=True)


@cli.command()
@click.argument("title", required=False)
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for more).")
@click.option("--reply-to", help="The post this answers, e.g. posts/bob/hello.md.")
@click.option("--file", "body_file", type=click.File("r", encoding="utf-8"), help="Read the body here ('-': stdin).")
@click.option("--slug", help="The file name in your folder (default: made from the title).")
@click.option("--edit", "edit_path", help="Edit one of your posts instead, e.g. posts/dana/hello.md.")
@click.option("--no-push", is_flag=True, help="Commit only; push later with `git push`.")
@_signing_key
@_repo
def post(
    title: str | None,
    tags: tuple[str, ...],
    reply_to: str | None,
    body_file: TextIO | None,
    slug: str | None,
    edit_path: str | None,
    no_push: bool,
    signing_key: str | None,
    repo_dir: Path,
) -> None:
    """Write a post titled TITLE (in $EDITOR unless --file), commit it signed, and push it."""
    from orgsite.commands.post import post as write_post

    if not title and not edit_path:
        raise click.UsageError("give the post's TITLE (or --edit PATH)")
    done = write_post(repo_dir, title=title, body=body_file.read() if body_file else None, editor=_editor, tags=tags,
                      reply_to=reply_to, slug=slug, edit_path=edit_path, signing_key=signing_key,
                      push_now=not no_push)  # fmt: skip
    if done is None:
        _echo(f"{edit_path}: no change; nothing was committed")
    else:
        _echo_committed(done)


@cli.command()
@_repo
@click.option("--install-pre-push", is_flag=True, help="Run this check before every `git push` of this clone.")
def check(repo_dir: Path, install_pre_push: bool) -> int:
    """Say what the server would refuse among this clone's commits that are not pushed yet."""
    from orgsite.commands.check import install_pre_push as install
    from orgsite.commands.check import unpushed_problems

    if install_pre_push:
        install(repo_dir)
        _echo("Installed the pre-push hook: `git push` now runs `orgsite check` first.")
        return 0
    count, problems = unpushed_problems(repo_dir)
    for problem in problems:
        _echo(f"orgsite: {problem}", err=True)
    if problems:
        _echo(f"{count} commit(s) not pushed yet; the server would refuse the push", err=True)
        return 1
    _echo(f"{count} commit(s) not pushed yet; all keep the community's rules")
    return 0


@cli.command()
@click.argument("repo", type=_existing_dir, default=".")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0 picks a free port.")
@click.option("--out", type=click.Path(path_type=Path), help="Keep the site here (default: a temporary folder).")
def serve(repo: Path, port: int, out: Path | None) -> None:
    """Build REPO's site, serve it on 127.0.0.1, and rebuild it whenever the branch moves."""
    from orgsite.commands.serve import serve as serve_site

    serve_site(repo, port=port, out=out, say=lambda line: _echo(line))


@cli.group()
def site() -> None:
    """The site the server rebuilds after every push."""


@site.command("enable")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--repo", "repo_dir", type=_existing_dir, default=".", help="The bare repository (default: here).")
def site_enable(directory: Path, repo_dir: Path) -> None:
    """Rebuild the site into DIRECTORY after every accepted push (in the background)."""
    from orgsite.commands.site import enable

    _echo_site_enabled(directory, enable(repo_dir, directory))


@cli.command()
@click.argument("repo", type=_existing_dir, default=".")
def status(repo: Path) -> None:
    """Show REPO's community, branch tip, site and latest site builds (with their errors)."""
    from orgsite.commands.status import status as repo_status

    for line in repo_status(repo):
        _echo(line)


@cli.group()
def follow() -> None:
    """Neighbours: other communities this one follows, each checked from its own pinned root."""


@follow.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--introduction", required=True, help="The neighbour's introduction commit (full id).")
@click.option("--introducer", required=True, help="The fingerprint of the key that signed it.")
@_signing_key
@_push
@_repo
def follow_add(name: str, url: str, introduction: str, introducer: str, signing_key: str | None, push_now: bool,
               repo_dir: Path) -> None:  # fmt: skip
    """Follow the community NAME fetched from URL (an operator's signed commit)."""
    from orgsite.commands.follow import add
    from orgsite.model import Follow

    neighbour = Follow(name, url, introduction.strip().lower(), introducer.replace(" ", "").upper())
    _echo_committed(add(repo_dir, neighbour, signing_key=signing_key, push_now=push_now))


@follow.command("remove")
@click.argument("name")
@_signing_key
@_push
@_repo
def follow_remove(name: str, signing_key: str | None, push_now: bool, repo_dir: Path) -> None:
    """Stop following NAME (an operator's signed commit; what was fetched is not recalled)."""
    from orgsite.commands.follow import remove

    _echo_committed(remove(repo_dir, name, signing_key=signing_key, push_now=push_now))


@follow.command("sync")
@click.argument("repo", type=_existing_dir, default=".")
@click.argument("name", required=False)
def follow_sync(repo: Path, name: str | None) -> int:
    """Fetch each neighbour (or NAME), check it with its own rules, and show only what passes."""
    from orgsite.commands.follow import sync

    found = sync(repo, name, _progress())
    for state in found:
        _echo(state.summary())
    return 1 if any(state.refused for state in found) else 0


@follow.command("list")
@click.argument("repo", type=_existing_dir, default=".")
def follow_list(repo: Path) -> None:
    """Show each followed neighbour's verified state and any refusal."""
    from orgsite.commands.follow import states

    found = states(repo)
    for state in found:
        _echo(state.summary())
    if not found:
        _echo("No neighbours followed (orgsite follow add NAME URL --introduction … --introducer …).")


@cli.group()
def outbox() -> None:
    """Outboxes: a community for one audience, where members share the posts they choose."""


@outbox.command("create")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="Who it is for, e.g. smiths.")
@_signing_key
@_push
@_repo
def outbox_create(path: Path, name: str, signing_key: str | None, push_now: bool, repo_dir: Path) -> None:
    """Make the outbox NAME at PATH with this community's operators (run in an operator's clone)."""
    from orgsite.commands.outbox import create

    intro, recorded = create(repo_dir, path, name, signing_key=signing_key, push_now=push_now)
    _echo_committed(recorded)
    _echo(f"Created the outbox for {name} at {path.absolute()}")
    _echo(f"Introduction commit: {intro} (give it, and your key's fingerprint, to {name}'s operator)")
    _echo("Next: clone it, add the members who want to share (orgsite member add), and they run orgsite share")


_to = click.option(
    "--to", "to", required=True, help="Your clone of the outbox (or a name set with git config orgsite.outbox.NAME)."
)
_no_push = click.option("--no-push", is_flag=True, help="Commit only; push later with `git push`.")


def _outbox_verb(verb: str, summary: str) -> None:
    """`orgsite share` and `orgsite unshare`: the same arguments, each its own command module."""

    @cli.command(verb, help=summary)
    @click.argument("path")
    @_to
    @_no_push
    @_signing_key
    @_repo
    def run(path: str, to: str, no_push: bool, signing_key: str | None, repo_dir: Path) -> None:
        command = getattr(importlib.import_module(f"orgsite.commands.{verb}"), verb)
        _echo_committed(command(repo_dir, path, to, signing_key=signing_key, push_now=not no_push))


_outbox_verb("share", "Share your post PATH (and the pictures it shows) in an outbox, signed with your key.")
_outbox_verb("unshare", "Take your post PATH out of an outbox (copies already fetched cannot be recalled).")


@cli.group()
def access() -> None:
    """Who may fetch and push over SSH: the members' SSH keys, from the allowlist at the branch tip."""


_authorized_keys = click.argument("authorized_keys", type=click.Path(dir_okay=False, path_type=Path))
_bare_repo = click.option(
    "--repo", "repo_dir", type=_existing_dir, default=".", help="The bare repository (default: here)."
)


@access.command("sync")
@click.argument("repo", type=_existing_dir)
@click.option("--authorized-keys", "authorized_keys", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="sshd's authorized_keys file of the git user.")  # fmt: skip
def access_sync(repo: Path, authorized_keys: Path) -> None:
    """Write the members' SSH keys into the file, between orgsite's markers for REPO (other lines kept)."""
    from orgsite.commands.access import sync

    count = sync(repo, authorized_keys)
    _echo(f"{authorized_keys}: {count} SSH key(s) of the members of {repo.absolute()}")


@access.command("keys")
@click.argument("repo", type=_existing_dir, default=".")
def access_keys(repo: Path) -> None:
    """Print the members' forced-command key lines (for sshd's AuthorizedKeysCommand)."""
    from orgsite.commands.access import keys

    for line in keys(repo):
        _echo(line)


@access.command("enable")
@_authorized_keys
@_bare_repo
def access_enable(authorized_keys: Path, repo_dir: Path) -> None:
    """Keep AUTHORIZED_KEYS in step with the allowlist after every push that changes the membership."""
    from orgsite.commands.access import enable

    count = enable(repo_dir, authorized_keys)
    _echo(f"SSH access enabled: {authorized_keys.absolute()} holds {count} key(s), updated after every push "
          "that changes members/.")  # fmt: skip


@cli.command(hidden=True)
@click.argument("repo", type=click.Path(file_okay=False, path_type=Path))
@click.argument("handle")
@click.option("--key", "key_fingerprint", required=True, help="The SHA256 fingerprint of the connecting SSH key.")
def shell(repo: Path, handle: str, key_fingerprint: str) -> None:
    """The forced command of members' SSH keys: git fetch or push of REPO, while HANDLE is listed."""
    from orgsite.access.gate import Refused
    from orgsite.commands.shell import shell as enter

    try:
        enter(repo, handle, key_fingerprint)
    except Refused as e:
        _echo(f"orgsite: {e}", err=True)
        sys.exit(1)


@cli.group()
def hook() -> None:
    """Entry points for the Git server hooks that `orgsite init` installs."""


@hook.command("pre-receive")
def hook_pre_receive() -> int:
    """Refuse the push unless every new commit keeps the community's rules (reads git's stdin)."""
    from orgsite.receive import run_pre_receive

    return run_pre_receive(sys.stdin, sys.stderr)


@hook.command("post-receive")
def hook_post_receive() -> int:
    """Update the SSH door's keys and start the site's rebuild after an accepted push (reads git's stdin)."""
    from orgsite.receive import run_post_receive

    return run_post_receive(sys.stdin, sys.stderr)


@hook.command("rebuild", hidden=True)
@click.argument("repo", type=_existing_dir)
def hook_rebuild(repo: Path) -> None:
    """Rebuild the enabled site until it shows the latest push (run detached by post-receive)."""
    from orgsite.site.rebuild import rebuild_until_current

    rebuild_until_current(repo)


class _TerminalProgress:
    """Phases and progress bars on stderr, for a person at a terminal."""

    @contextlib.contextmanager
    def phase(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        with click.progressbar(length=max(total, 1), label=label, file=sys.stderr, show_eta=False) as bar:
            yield bar.update


def _progress() -> Progress:
    """Progress bars when stderr is a terminal; nothing on a pipe or in a hook's log."""
    from orgsite.progress import SILENT

    return _TerminalProgress() if sys.stderr.isatty() else SILENT


class _SayProgress(logging.Handler):
    """What a command reports while it works (a retried push, say) goes to stderr as it happens."""

    def emit(self, record: logging.LogRecord) -> None:
        _echo(record.getMessage(), err=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: `error: …` and exit 1 for OrgsiteError, exit 2 for usage errors."""
    progress = logging.getLogger("orgsite.push")
    progress.addHandler(_SayProgress())
    progress.propagate = False
    try:
        code = cli.main(args=argv, prog_name="orgsite", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        _echo("Aborted.", err=True)
        sys.exit(1)
    except OrgsiteError as e:
        _echo(f"error: {e}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
