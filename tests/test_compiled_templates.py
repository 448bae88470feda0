"""Templates compiled by an earlier build are only ever a shortcut: a page is what its template's
source says now, whatever the cache holds, and whichever environment compiled it."""

from __future__ import annotations

import jinja2

from orgsite.site.compiled_templates import keep_compiled


def _render(folder, cache, name="page.html", **options) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), **options)
    keep_compiled(env, cache)
    return env.get_template(name).render(who="<Ann>")


def _kept(cache) -> list:
    return sorted(cache.rglob("*.jinja"))


def test_a_template_is_compiled_once_and_its_changed_source_is_what_renders(tmp_path):
    (tmp_path / "t").mkdir()
    template = tmp_path / "t" / "page.html"
    template.write_text("Hello {{ who }}")
    assert _render(tmp_path / "t", tmp_path / "cache") == "Hello <Ann>"
    kept = _kept(tmp_path / "cache")
    assert len(kept) == 1
    assert _render(tmp_path / "t", tmp_path / "cache") == "Hello <Ann>"
    template.write_text("Goodbye {{ who }}")
    assert _render(tmp_path / "t", tmp_path / "cache") == "Goodbye <Ann>"


def test_a_template_compiled_with_other_options_is_not_taken(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.html").write_text("{% if true %}\n  Hello {{ who }}\n{% endif %}\n")
    renders = [_render(tmp_path / "t", tmp_path / "cache", **options)
               for options in ({}, {"trim_blocks": True, "lstrip_blocks": True}, {"autoescape": True}, {})]  # fmt: skip
    assert renders == ["\n  Hello <Ann>\n", "  Hello <Ann>\n", "\n  Hello &lt;Ann&gt;\n", "\n  Hello <Ann>\n"]
    assert len(_kept(tmp_path / "cache")) == 3


def test_a_damaged_kept_template_is_compiled_again(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.html").write_text("Hello {{ who }}")
    _render(tmp_path / "t", tmp_path / "cache")
    (kept,) = _kept(tmp_path / "cache")
    whole = kept.read_bytes()
    for damaged in (b"", whole[: len(whole) // 2], whole[:-8] + b"\xff" * 8, b"garbage"):
        kept.write_bytes(damaged)
        assert _render(tmp_path / "t", tmp_path / "cache") == "Hello <Ann>"


def test_a_cache_that_cannot_be_made_only_costs_compiling(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.html").write_text("Hello {{ who }}")
    (tmp_path / "cache").write_text("a file where the folder would go")
    assert _render(tmp_path / "t", tmp_path / "cache") == "Hello <Ann>"
