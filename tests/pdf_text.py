"""The text of a PDF made by fpdf2, for tests (no PDF library in the project).

Enough for our own documents: content streams (Flate-compressed or not), ``Tf`` font changes and
``Tj``/``TJ`` strings; embedded TrueType fonts are decoded through their ``ToUnicode`` map (2-byte
codes), core fonts as latin-1. Text shown in separate ``Tj`` operations is joined with a space.
"""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_TOKENS = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\((?:\\.|[^\\)])*\)\s*Tj|\[(?:\((?:\\.|[^\\)])*\)|[^\]])*\]\s*TJ", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(number): body for number, body in _OBJECT.findall(data)}


def _stream(body: bytes) -> bytes:
    match = _STREAM.search(body)
    if not match:
        return b""
    raw = match.group(1)
    if b"/FlateDecode" in body.split(b"stream", 1)[0]:
        return zlib.decompress(raw)
    return raw


def _unescape(literal: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(literal):
        char = literal[index : index + 1]
        if char != b"\\":
            out += char
            index += 1
            continue
        following = literal[index + 1 : index + 2]
        if following in _ESCAPES:
            out += _ESCAPES[following]
            index += 2
        elif following.isdigit():
            digits = re.match(rb"[0-7]{1,3}", literal[index + 1 : index + 4]).group(0)
            out.append(int(digits, 8))
            index += 1 + len(digits)
        else:  # a backslash before a line break continues the string
            index += 2
    return bytes(out)


def _cmap(text: bytes) -> dict[int, str]:
    mapping = {}
    for section in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
            mapping[int(source, 16)] = bytes.fromhex(target.decode()).decode("utf-16-be")
    for section in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for start, end, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
            first = int(target, 16)
            for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def pdf_text(data: bytes) -> str:
    objects = _objects(data)
    # Font resource names (/F1 …) → their ToUnicode map (None: a core font, latin-1).
    fonts: dict[bytes, dict[int, str] | None] = {}
    for body in objects.values():
        for name, number in re.findall(rb"/(F\d+)\s+(\d+) 0 R", body):
            font = objects.get(int(number), b"")
            to_unicode = re.search(rb"/ToUnicode\s+(\d+) 0 R", font)
            fonts[name] = _cmap(_stream(objects[int(to_unicode.group(1))])) if to_unicode else None
    pieces: list[str] = []
    for body in objects.values():
        head = body.split(b"stream", 1)[0]
        if b"stream" not in body or b"/Type" in head or b"/Length1" in head or b"/Subtype" in head:
            continue  # fonts, images, maps: not page content
        try:
            content = _stream(body)
        except zlib.error:
            continue
        font = None
        for match in _TOKENS.finditer(content):
            token = match.group(0)
            if match.group(1):
                font = match.group(1)
                continue
            strings = re.findall(rb"\(((?:\\.|[^\\)])*)\)", token, re.S)
            raw = b"".join(_unescape(s) for s in strings)
            mapping = fonts.get(font) if font else None
            if mapping is None:
                pieces.append(raw.decode("latin-1"))
            else:
                pieces.append(
                    "".join(mapping.get(int.from_bytes(raw[i : i + 2], "big"), "") for i in range(0, len(raw) - 1, 2))
                )
    return " ".join(pieces)
