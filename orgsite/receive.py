"""What git's server hooks run: `python -m orgsite.receive pre-receive|post-receive`, git's ref updates
on stdin. The same as `orgsite hook …`, without the command line around it: every push pays for this
process's start, so it imports the trust core and nothing else (no click, no site, no MkDocs)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from orgsite.errors import OrgsiteError
from orgsite.textsafe import terminal_safe


def run_pre_receive(lines: Iterable[str], err: TextIO) -> int:
    """Judge the push; say each refusal on `err`; 1 when anything is refused. Fails closed: a crash refuses."""
    from orgsite.commands.hook import pre_receive

    try:
        refusals = pre_receive(lines)
    except OrgsiteError as e:
        refusals = [f"orgsite: {e}"]
    except Exception as e:  # fail closed: a hook that crashes must still refuse, and say why
        refusals = [f"orgsite: internal error, push refused: {type(e).__name__}: {e}"]
    for line in refusals:
        print(terminal_safe(line), file=err)
    return 1 if refusals else 0


def run_post_receive(lines: Iterable[str], err: TextIO) -> int:
    """The work after an accepted push (see commands.hook.post_receive), said on `err`."""
    from orgsite.commands.hook import post_receive

    try:
        said = post_receive(lines)
    except OrgsiteError as e:  # the push has landed whatever happens here: say what failed
        said, code = [f"orgsite: after the push: {e}"], 1
    else:
        code = 0
    for line in said:
        print(terminal_safe(line), file=err)
    return code


_HOOKS = {"pre-receive": run_pre_receive, "post-receive": run_post_receive}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in _HOOKS:
        print(f"usage: python -m orgsite.receive {'|'.join(_HOOKS)} (git runs this; ref updates on stdin)",
              file=sys.stderr)  # fmt: skip
        sys.exit(2)
    sys.exit(_HOOKS[sys.argv[1]](sys.stdin, sys.stderr))
