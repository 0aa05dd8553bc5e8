"""Untrusted text made safe to show in a terminal, one character for one."""

import re

# C0 controls (but newline and tab), DEL and the C1 controls. ESC in particular
# would let article text drive the terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures" block, e.g. ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def printable(text: str) -> str:
    """Replace control characters with visible symbols, keeping every offset.

    The result has the same length as `text`, so claim offsets into the body
    still index the displayed string.
    """
    return _CONTROL.sub(_visible, text)
