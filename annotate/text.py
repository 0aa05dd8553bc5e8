"""Untrusted text made safe to show in a terminal, one character for one."""

import re

# C0 controls (but newline and tab), DEL and the C1 controls: ESC in particular
# would let article text drive the terminal. Also the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069): invisible, they make
# a terminal that lays out right-to-left text show characters in another order
# than they are stored ("Trojan Source"), so an annotator could label words
# that are not the ones in the file. The marks that only set one character's
# direction (U+200E, U+200F) and the joiners of emoji and of Arabic and Indic
# scripts (U+200C, U+200D) are left alone: text needs them.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures" block, e.g. ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 controls and bidirectional controls: �


def printable(text: str) -> str:
    """Replace control characters with visible symbols, keeping every offset.

    The result has the same length as `text`, so claim offsets into the body
    still index the displayed string.
    """
    return _CONTROL.sub(_visible, text)
