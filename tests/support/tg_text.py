"""Telegram-style parsing of ``parse_mode`` text into plain text plus message entities.

The fake Bot API server (:mod:`tests.support.botapi`) uses this to answer like Telegram:
the ``text``/``caption`` of a returned Message is the *rendered* text, entities carry
UTF-16 offsets, length limits apply after parsing, and malformed markup is rejected
with ``Bad Request: can't parse entities: ...``.  The last point matters most: a bot
that interpolates user input such as ``a<b`` into an HTML message without escaping it
works against a lenient mock and fails in production, so we mirror the strictness of
tdlib's parsers (``td/telegram/MessageEntity.cpp``) for the common cases instead of
silently accepting anything.

Only the behaviour tests can observe is modelled: entity types, offsets, the error
texts of the frequent mistakes.  Exotic corners of tdlib (nested same-type entities,
``***`` ambiguity rules, URL validation) are intentionally simplified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntityParseError", "parse_text", "utf16_len"]


class EntityParseError(ValueError):
    """Markup Telegram would refuse; ``str(exc)`` is tdlib's text after the API prefix."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    # Characters outside the BMP (most emoji) take two UTF-16 code units.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    # tdlib reports error positions as UTF-8 byte offsets into the original text.
    return len(text[:index].encode("utf-8"))


@dataclass(slots=True)
class _Builder:
    """Accumulates rendered text while tracking the current UTF-16 length."""

    parts: list[str] = field(default_factory=list)
    length16: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length16 += utf16_len(text)

    def entity(self, type_: str, offset: int, **extra: Any) -> None:
        length = self.length16 - offset
        if length > 0:  # Telegram drops empty entities instead of failing
            self.entities.append({"type": type_, "offset": offset, "length": length, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        # Telegram returns entities ordered by offset, outer (longer) entities first.
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,4}));")


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``pos`` like tdlib: only lt/gt/amp/quot and numeric ones."""
    m = _HTML_ENTITY_RE.match(text, pos)
    if m is None:
        return None
    dec, hexa, name = m.groups()
    if name is not None:
        ch = _NAMED_ENTITIES.get(name)
        return (ch, m.end()) if ch is not None else None
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


def _decode_entities_in(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (dec := _decode_html_entity(value, i)) is not None:
            out.append(dec[0])
            i = dec[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


@dataclass(slots=True)
class _OpenTag:
    name: str
    offset16: int
    attrs: dict[str, str]
    language: str | None = None


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[_OpenTag] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "&" and (dec := _decode_html_entity(text, i)) is not None:
            out.add(dec[0])
            i = dec[1]
            continue
        if ch != "<":
            # Plain characters (including a bare '>' or '&') are kept verbatim like tdlib.
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        begin = i
        i += 1
        if i < n and text[i] != "/":
            i = _html_start_tag(text, begin, i, stack, out)
        else:
            i = _html_end_tag(text, begin, i + 1, stack, out)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


def _html_start_tag(text: str, begin: int, i: int, stack: list[_OpenTag], out: _Builder) -> int:
    n = len(text)
    j = i
    while j < n and not text[j].isspace() and text[j] != ">":
        j += 1
    if j == n:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    tag = text[i:j].lower()
    if tag not in _HTML_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
        )
    attrs: dict[str, str] = {}
    i = j
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            i += 1
            break
        k = i
        while k < n and text[k] not in "= \t\r\n>":
            k += 1
        name = text[i:k].lower()
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        i = k
        if i < n and text[i] == "=":
            i += 1
            if i < n and text[i] in "\"'":
                quote = text[i]
                end = text.find(quote, i + 1)
                if end == -1:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                    )
                raw_value = text[i + 1 : end]
                i = end + 1
            else:
                k = i
                while k < n and not text[k].isspace() and text[k] != ">":
                    k += 1
                raw_value = text[i:k]
                i = k
            attrs[name] = _decode_entities_in(raw_value)
        else:
            attrs[name] = ""  # e.g. <blockquote expandable>
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    stack.append(_OpenTag(tag, out.length16, attrs))
    return i


def _html_end_tag(text: str, begin: int, i: int, stack: list[_OpenTag], out: _Builder) -> int:
    n = len(text)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
    j = i
    while j < n and text[j] not in "> \t\r\n":
        j += 1
    name = text[i:j].lower()
    while j < n and text[j].isspace():
        j += 1
    if j == n or text[j] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
    top = stack[-1]
    if name != top.name:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
            f'expected "</{top.name}>", found "</{name}>"'
        )
    stack.pop()
    _html_close(top, stack, out)
    return j + 1


def _html_close(tag: _OpenTag, stack: list[_OpenTag], out: _Builder) -> None:
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        if href.startswith("tg://user?id="):
            user_id = href.removeprefix("tg://user?id=")
            if user_id.isdigit():
                out.entity(
                    "text_mention",
                    tag.offset16,
                    user={"id": int(user_id), "is_bot": False, "first_name": ""},
                )
        elif href:
            out.entity("text_link", tag.offset16, url=href)
    elif tag.name == "tg-emoji":
        emoji_id = tag.attrs.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
        out.entity("custom_emoji", tag.offset16, custom_emoji_id=emoji_id)
    elif tag.name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        out.entity(kind, tag.offset16)
    elif tag.name == "code" and stack and stack[-1].name == "pre":
        # <pre><code class="language-x"> is one pre entity with a language in Telegram.
        cls = tag.attrs.get("class", "")
        if cls.startswith("language-"):
            stack[-1].language = cls.removeprefix("language-")
        else:
            out.entity("code", tag.offset16)
    elif tag.name == "pre":
        if tag.language:
            out.entity("pre", tag.offset16, language=tag.language)
        else:
            out.entity("pre", tag.offset16)
    else:
        out.entity(_HTML_SIMPLE[tag.name], tag.offset16)


# --------------------------------------------------------------------------------------
# MarkdownV2
# --------------------------------------------------------------------------------------

_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_SIMPLE = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


@dataclass(slots=True)
class _MdOpen:
    kind: str  # token ("*", "__", "`", "```", "[", "![")
    offset16: int
    byte_begin: int
    language: str | None = None


def _mdv2_reserved(ch: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
    )


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[_MdOpen] = []
    quote_start: int | None = None
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        top = stack[-1] if stack else None
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if top is not None and top.kind in ("`", "```"):
            # Inside code only '`' (and '\') are special.
            if ch != "`":
                out.add(ch)
                i += 1
            elif top.kind == "```" and text.startswith("```", i):
                stack.pop()
                extra = {"language": top.language} if top.language else {}
                out.entity("pre", top.offset16, **extra)
                i += 3
            elif top.kind == "`":
                stack.pop()
                out.entity("code", top.offset16)
                i += 1
            else:
                raise _mdv2_reserved(ch)
            continue
        if ch == "\n":
            out.add(ch)
            i += 1
            if quote_start is not None and not text.startswith(">", i):
                out.entity("blockquote", quote_start)
                quote_start = None
            continue
        if ch not in _MDV2_RESERVED:
            j = i + 1
            while j < n and text[j] not in _MDV2_RESERVED and text[j] not in "\\\n":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        i = _mdv2_special(text, i, stack, out)
        if i < 0:  # '>' at the start of a line opens (or continues) a blockquote
            i = -i
            if quote_start is None:
                quote_start = out.length16
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        raise EntityParseError(
            f"Can't find end of the entity starting at byte offset {stack[-1].byte_begin}"
        )
    return out.result()


def _mdv2_special(text: str, i: int, stack: list[_MdOpen], out: _Builder) -> int:
    """Handle a reserved character at ``i``; returns the next index (negated for '>')."""
    ch = text[i]
    n = len(text)
    if ch == ">" and (i == 0 or text[i - 1] == "\n"):
        return -(i + 1)
    token: str | None = None
    if ch == "_":
        token = "__" if text.startswith("__", i) else "_"
    elif ch in "*~":
        token = ch
    elif ch == "|":
        if not text.startswith("||", i):
            raise _mdv2_reserved(ch)
        token = "||"
    if token is not None:
        if stack and stack[-1].kind == token:
            opened = stack.pop()
            out.entity(_MDV2_SIMPLE[token], opened.offset16)
        else:
            stack.append(_MdOpen(token, out.length16, _byte_offset(text, i)))
        return i + len(token)
    if ch == "`":
        if text.startswith("```", i):
            nl = text.find("\n", i + 3)
            language = text[i + 3 : nl].strip() if nl != -1 else ""
            start = nl + 1 if nl != -1 else i + 3
            stack.append(_MdOpen("```", out.length16, _byte_offset(text, i), language or None))
            return start
        stack.append(_MdOpen("`", out.length16, _byte_offset(text, i)))
        return i + 1
    if ch == "[" or (ch == "!" and text.startswith("![", i)):
        token = "[" if ch == "[" else "!["
        stack.append(_MdOpen(token, out.length16, _byte_offset(text, i)))
        return i + len(token)
    if ch == "]" and stack and stack[-1].kind in ("[", "!["):
        opened = stack.pop()
        i += 1
        url = ""
        if i < n and text[i] == "(":
            j = i + 1
            chars: list[str] = []
            while j < n and text[j] != ")":
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(text[j])
                j += 1
            if j == n:
                raise EntityParseError(
                    f"Can't find end of a url at byte offset {_byte_offset(text, i)}"
                )
            url = "".join(chars)
            i = j + 1
        if opened.kind == "![":
            if not url.startswith("tg://emoji?id="):
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            out.entity(
                "custom_emoji", opened.offset16, custom_emoji_id=url.removeprefix("tg://emoji?id=")
            )
        elif url.startswith("tg://user?id=") and url.removeprefix("tg://user?id=").isdigit():
            user = {"id": int(url.removeprefix("tg://user?id=")), "is_bot": False, "first_name": ""}
            out.entity("text_mention", opened.offset16, user=user)
        elif url:
            out.entity("text_link", opened.offset16, url=url)
        return i
    raise _mdv2_reserved(ch)


# --------------------------------------------------------------------------------------
# Legacy Markdown
# --------------------------------------------------------------------------------------


def _parse_markdown_v1(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out = _Builder()
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.add(ch)
            i += 1
            continue
        begin = _byte_offset(text, i)
        unclosed = EntityParseError(f"Can't find end of the entity starting at byte offset {begin}")
        if ch == "[":
            close = text.find("]", i + 1)
            if close == -1:
                raise unclosed
            if not text.startswith("(", close + 1):
                out.add(text[i : close + 1])  # tdlib keeps "[text]" without a url verbatim
                i = close + 1
                continue
            end = text.find(")", close + 2)
            if end == -1:
                raise unclosed
            offset = out.length16
            out.add(text[i + 1 : close])
            out.entity("text_link", offset, url=text[close + 2 : end])
            i = end + 1
            continue
        token = "```" if text.startswith("```", i) else ch
        end = text.find(token, i + len(token))
        if end == -1:
            raise unclosed
        body = text[i + len(token) : end]
        extra: dict[str, Any] = {}
        if token == "```" and "\n" in body:
            language, _, rest = body.partition("\n")
            if language.strip():
                extra["language"] = language.strip()
            body = rest
        offset = out.length16
        out.add(body)
        kind = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}[token]
        out.entity(kind, offset, **extra)
        i = end + len(token)
    return out.result()


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Render ``text`` the way Telegram does for ``parse_mode``.

    Explicit ``entities`` win over ``parse_mode`` (Telegram ignores the mode then).
    Raises :class:`EntityParseError` for markup Telegram refuses and :class:`ValueError`
    with ``"unsupported parse_mode"`` for an unknown mode.
    """
    if entities is not None:
        return text, list(entities)
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown_v1(text)
    raise ValueError("unsupported parse_mode")
