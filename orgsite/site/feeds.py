"""Atom feeds (RFC 4287) of posts: the whole community, and one per member."""

from __future__ import annotations

import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import urljoin

from orgsite.site.history import PostInfo
from orgsite.site.safe_markdown import plain_excerpt

ATOM = "http://www.w3.org/2005/Atom"
FEED_LENGTH = 50
MAX_ENTRY_CHARS = 16 * 1024
SUMMARY_CHARS = 1000


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_URL_ATTRIBUTE = re.compile(r'(\s(?:src|href)=")([^"]*)(")')


def _absolute(body: str, page_url: str) -> str:
    """A post's HTML with its relative links and pictures made absolute from its page's public URL."""
    return _URL_ATTRIBUTE.sub(lambda m: m.group(1) + urljoin(page_url, html.unescape(m.group(2))).replace(
        "&", "&amp;").replace('"', "&quot;") + m.group(3), body)  # fmt: skip


def atom_feed(
    *,
    community_id: str,
    feed_id: str,
    title: str,
    posts: Sequence[PostInfo],
    bodies: dict[str, str],
    root: str,
    self_href: str,
    public_url: str = "",
) -> bytes:
    """An Atom document of the newest posts.

    Links and pictures are absolute when the community's public `url` is known (feed readers need
    that); otherwise they are relative to the feed's own location (`root` leads back to the site's).
    """
    site = public_url.rstrip("/") + "/" if public_url else ""
    root = site or root
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    newest = posts[:FEED_LENGTH]
    updated = max((p.updated.time for p in newest), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    for tag, text in (("id", feed_id), ("title", title), ("updated", _stamp(updated))):
        ET.SubElement(feed, f"{{{ATOM}}}{tag}").text = text
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_href)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=root or "./")
    for post in newest:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"{community_id}:{post.path}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = post.meta.title
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(post.updated.time)
        ET.SubElement(entry, f"{{{ATOM}}}published").text = _stamp(post.date)
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = f"{post.author.name} (@{post.author.handle})"
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=f"{root}{post.url}")
        for tag in post.meta.tags:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=tag)
        body = _absolute(bodies[post.path], f"{site}{post.url}") if site else bodies[post.path]
        if len(body) > MAX_ENTRY_CHARS:  # a feed entry carries a summary of a long post, the page has it all
            ET.SubElement(entry, f"{{{ATOM}}}summary", type="html").text = plain_excerpt(body, SUMMARY_CHARS)
        else:
            ET.SubElement(entry, f"{{{ATOM}}}content", type="html").text = body
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
