"""The README is one screen whose commands are CI's, and the Markdown links of the README and the docs resolve.

Links are checked as a code host reads them: a relative target must be a file (or folder) of the repository, and an
``#anchor`` into a Markdown file must be the slug of one of its headings (the slug both GitHub and MyST's
``myst_heading_anchors`` give). MyST ``(label)=`` targets resolve only in the built site, so they do not count.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"

#: a Markdown link or image: [text](target) / ![alt](target); the target has no spaces
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(([^()\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _prose_lines(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks (links inside code are not links)."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading (MyST's default slug is the same): lower case, punctuation dropped."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)  # inline code keeps its text
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for line in _prose_lines(path.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if m:
            slug = _slug(m.group(2))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _links(path: Path) -> list[str]:
    return [m.group(1) for line in _prose_lines(path.read_text(encoding="utf-8")) for m in LINK.finditer(line)]


def _broken(path: Path) -> list[str]:
    """Relative links of ``path`` that do not resolve to a file of the repository or a heading of one."""
    bad = []
    for target in _links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
            continue  # http:, https:, mailto:
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists() or ROOT not in dest.parents and dest != ROOT:
            bad.append(f"{target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            bad.append(f"{target} (no heading with anchor #{anchor})")
    return bad


def _docs_pages() -> list[Path]:
    docs = ROOT / "docs"
    return sorted(p for p in docs.rglob("*.md") if "_build" not in p.parts and "auto_examples" not in p.parts)


def test_slug_follows_the_code_host():
    assert _slug("What an exact rank means: the certificate") == "what-an-exact-rank-means-the-certificate"
    assert _slug("Tensor-network min-cuts (`tnrnn.cuts`)") == "tensor-network-min-cuts-tnrnncuts"
    assert _slug("Rank engine before the certified default (engine version 2)") == (
        "rank-engine-before-the-certified-default-engine-version-2"
    )


def test_link_check_sees_a_broken_link(tmp_path, monkeypatch):
    """The checker itself: a missing file, a missing anchor and a link inside code are told apart."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "a.md").write_text("# Top\n\n## Some part\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](a.md#some-part) [ok too](a.md) ![gone](missing.png) [bad anchor](a.md#nope)\n"
        "```\n[in code](not-there.md)\n```\n[web](https://example.org/x.md)\n",
        encoding="utf-8",
    )
    assert _broken(page) == ["missing.png (no such file)", "a.md#nope (no heading with anchor #nope)"]


def test_readme_links_resolve():
    links = _links(README)
    assert links, "the README links to nothing"
    assert _broken(README) == []
    assert not [t for t in links if "#theory-" in t], "MyST labels do not resolve on a code host"


@pytest.mark.parametrize("page", _docs_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_markdown_links_resolve(page):
    assert _broken(page) == []


def test_readme_is_one_screen_with_the_two_commands_first():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 80, f"README.md has {len(lines)} lines; the rest belongs in docs/"
    head = "\n".join(lines[:25])
    install = re.search(r"^python -m pip install \. && python -m tnrnn figures --out \S+$", head, re.M)
    assert install, "the first 25 lines must hold the command that installs and runs the main job"
    tests = re.search(r"^python -m pip install (\S+) && (python -m pytest .*)$", head, re.M)
    assert tests, "the first 25 lines must hold the command that installs and runs the tests"
    # the same extras and the same pytest command as CI runs
    ci = [line.split("#")[0].strip() for line in CI.read_text(encoding="utf-8").splitlines()]
    ci_pip = next(shlex.split(line) for line in ci if line.startswith("python -m pip install"))
    ci_pytest = next(line for line in ci if line.startswith("python -m pytest"))
    assert shlex.split(tests.group(1)) == [ci_pip[-1]]
    assert tests.group(2).strip() == ci_pytest
