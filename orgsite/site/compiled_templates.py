"""Jinja templates compiled once and kept in the repository's cache: every build renders with the same
few dozen templates (orgsite's and Material's), and compiling them was a third of a one-post build.
Only ever an optimisation: Jinja compiles again whatever is missing, damaged or from another source."""

from __future__ import annotations

import contextlib
import hashlib
import sys
from pathlib import Path

import jinja2

# The options of an environment that shape the code Jinja compiles a template to.
_SHAPING = ("block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
            "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
            "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "optimized")  # fmt: skip


def _compiled_by(env: jinja2.Environment) -> str:
    autoescape = getattr(env.autoescape, "__qualname__", env.autoescape)
    finalize = getattr(env.finalize, "__qualname__", env.finalize)
    shaping = [getattr(env, name) for name in _SHAPING] + [sorted(env.extensions), autoescape, finalize]
    return hashlib.sha256(repr((shaping, jinja2.__version__, sys.version)).encode()).hexdigest()[:24]


def keep_compiled(env: jinja2.Environment, cache_dir: Path) -> None:
    """Let `env` keep the templates it compiles under `cache_dir`, and take them back in later builds
    (a template whose source changed is compiled again); nothing changes when the folder cannot be made."""
    # Jinja checks a kept template's source, not how it was compiled: that names the folder.
    folder = cache_dir / "templates" / _compiled_by(env)
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder), "%s.jinja")
