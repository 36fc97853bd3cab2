"""The documentation cannot silently go stale.

- The screenshots in docs/ are made by `make docs` (tools/screenshots.js), which records in
  docs/screenshots.json the text each picture shows that depends on the model ("The network
  knows 94 characters", the answer) and the SHA-256 of the weights/model.npz (and, for Word
  mode's, weights/words.npz) it was made with. These tests fail when that record contradicts
  the shipped models.
- Every link in the README, the changelog, the model card and docs/*.md resolves: relative
  files exist, and #anchors name a heading (or an explicit anchor) of the file they point to.

Pure Python and fast: no browser, no network.
"""

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RECORD = DOCS / "screenshots.json"
MODEL = ROOT / "weights" / "model.npz"
WORD_MODEL = ROOT / "weights" / "words.npz"
REMAKE = "run `make docs` to remake the screenshots and docs/screenshots.json"

# The markdown files whose links must resolve.
LINKED_FILES = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "weights" / "README.md"]
    + list(DOCS.glob("*.md"))
)


# ---------------------------------------------------------------------------------------
# Screenshots


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def record():
    assert RECORD.exists(), "docs/screenshots.json is missing: " + REMAKE
    return json.loads(RECORD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def labels():
    from pycnn.nn import load_model

    return list(load_model(str(MODEL)).labels)


def test_the_screenshots_were_made_with_the_shipped_model(record):
    shipped = sha256_of(MODEL)
    made_with = {record["model"]["sha256"]}
    made_with |= {shot["model"]["sha256"] for shot in record["screenshots"].values()}
    assert made_with == {shipped}, (
        "docs/screenshots.json was made with weights/model.npz %s, but the shipped model is "
        "%s: %s" % (", ".join(sorted(sha[:12] for sha in made_with)), shipped[:12], REMAKE))


def test_the_word_screenshots_were_made_with_the_shipped_word_model(record):
    shipped = sha256_of(WORD_MODEL)
    word_shots = [shot for shot in record["screenshots"].values() if "word_model" in shot]
    assert word_shots, "docs/screenshots.json records no Word mode screenshot: " + REMAKE
    for shot in word_shots:
        assert shot["word_model"]["sha256"] == shipped, (
            "%s was made with weights/words.npz %s, but the shipped word model is %s: %s"
            % (shot["file"], shot["word_model"]["sha256"][:12], shipped[:12], REMAKE))


def texts(value):
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def test_the_text_on_each_screenshot_agrees_with_the_shipped_model(record, labels):
    problems = []
    if record["model"]["classes"] != len(labels):
        problems.append("the record says the model has %s classes; weights/model.npz has %d"
                        % (record["model"]["classes"], len(labels)))
    for shot in record["screenshots"].values():
        added = shot.get("labels_added", [])
        known = set(labels) | set(added)
        shows = shot["shows"]
        for text in texts(shows):
            for count in re.findall(r"knows (\d+) characters", text):
                if int(count) != len(labels) + len(added):
                    problems.append("%s shows %r, but weights/model.npz has %d classes%s"
                                    % (shot["file"], text, len(labels),
                                       " (+%d taught)" % len(added) if added else ""))
        for label in shows.get("answer", []):
            if label not in known:
                problems.append("%s shows the answer %r, which weights/model.npz does not read"
                                % (shot["file"], label))
        for entry in shows.get("top5", []):
            label = entry.rsplit(" ", 1)[0]
            if label not in known:
                problems.append("%s lists the guess %r, which weights/model.npz does not read"
                                % (shot["file"], label))
        if not any("knows" in text for text in texts(shows)):
            problems.append("%s records no class count" % shot["file"])
        if not (ROOT / shot["file"]).exists():
            problems.append("%s is missing" % shot["file"])
    assert not problems, "\n".join(problems) + "\n" + REMAKE


def test_every_picture_in_docs_is_made_by_make_docs(record):
    made = {shot["file"] for shot in record["screenshots"].values()}
    pictures = {"docs/%s" % path.name for path in DOCS.glob("*.png")}
    assert pictures <= made, (
        "pictures in docs/ that `make docs` does not make (so nothing keeps them current): %s"
        % ", ".join(sorted(pictures - made)))


# ---------------------------------------------------------------------------------------
# Links

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
MARKDOWN_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\s(?:href|src)=\"([^\"]*)\"", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"<a\b[^>]*?\s(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text):
    """The lines of a markdown text outside fenced code blocks."""
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def slug(heading):
    """GitHub's anchor for a heading: its text, lower case, without punctuation or symbols
    (letters, digits, marks, '_' and '-' stay), each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "").replace("*", "")
    kept = []
    for char in text.lower():
        category = unicodedata.category(char)
        if char in " -_" or category[0] in "LNM":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def anchors(path, cache={}):  # noqa: B006 (a cache on purpose)
    if path not in cache:
        found, seen = set(), {}
        text = path.read_text(encoding="utf-8")
        for line in prose_lines(text):
            match = HEADING.match(line)
            if match:
                base = slug(match.group(2))
                count = seen.get(base, 0)
                seen[base] = count + 1
                found.add(base if count == 0 else "%s-%d" % (base, count))
            found.update(HTML_ANCHOR.findall(line))
        cache[path] = found
    return cache[path]


def links(path):
    """(line number, target) for every link and image in a markdown file."""
    text = path.read_text(encoding="utf-8")
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        line = INLINE_CODE.sub("", line)
        for target in MARKDOWN_LINK.findall(line) + HTML_LINK.findall(line):
            yield number, target


def broken(path, target):
    """Why a link from `path` to `target` does not resolve, or None."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        return None  # http:, https:, mailto:
    file_part, _, anchor = target.partition("#")
    destination = (path.parent / file_part).resolve() if file_part else path
    if file_part and not destination.exists():
        return "no file %s" % file_part
    if anchor and destination.suffix == ".md" and anchor not in anchors(destination):
        return "no heading #%s in %s" % (anchor, os.path.relpath(destination, ROOT))
    return None


def test_the_slugs_are_githubs():
    assert slug("`pycnn.derive_lookalikes`") == "pycnnderive_lookalikes"
    assert slug("`pycnn.data.unipen --write-split`") == "pycnndataunipen---write-split"
    assert slug('"Not sure"') == "not-sure"
    assert slug("Learning from a person's drawings") == "learning-from-a-persons-drawings"
    assert slug("Why Python 3.8 and NumPy 1.17") == "why-python-38-and-numpy-117"
    assert slug("Stroke end to answer") == "stroke-end-to-answer"


@pytest.mark.parametrize("path", LINKED_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(path):
    problems = ["%s:%d: %s (%s)" % (path.relative_to(ROOT), number, target, why)
                for number, target in links(path)
                for why in [broken(path, target)] if why]
    assert not problems, "\n".join(problems)
