"""Source phrases in article text: who claims are attributed to.

A first, rule-based pass: phrases that stand before a reporting verb or after
"according to". It feeds the source modal's suggestions.
"""

from __future__ import annotations

import re

from annotate.corpus import Article
from annotate.segment import Claim

REPORTING_VERBS = (
    "said|says|say|told|tells|stated|states|claimed|claims|claim|denied|denies|deny|added|adds"
    "|alleged|alleges|confirmed|confirms|reported|reports|announced|announces|insisted|insists"
    "|warned|warns|argued|argues|explained|explains|noted|notes|believes|believe|according"
)
_NAME = r"(?:[A-Z][\w'’.-]*(?:\s+(?:of|the|de|al|bin|van|von)?\s*[A-Z][\w'’.-]*)*)"
_PHRASE = (
    rf"(?:(?:[Aa]n?|[Tt]he)\s+(?:[\w'’-]+\s+){{0,3}}?(?:official|spokesman|spokeswoman|spokesperson|aide|"
    rf"minister|statement|source|sources|report|witness|witnesses|officials|agency|analyst|expert)s?"
    rf"(?:\s+(?:of|for|from|on|with)\s+(?:the\s+)?{_NAME}(?:’s|'s)?(?:\s+[\w]+){{0,2}})?|{_NAME})"
)
_BEFORE_VERB = re.compile(rf"({_PHRASE}),?\s+(?:{REPORTING_VERBS})\b")
_ACCORDING = re.compile(rf"\baccording to\s+({_PHRASE})")
_STOP = {
    "He",
    "She",
    "They",
    "It",
    "We",
    "I",
    "But",
    "And",
    "This",
    "That",
    "There",
    "In",
    "The",
    "A",
    "An",
}


def source_candidates(article: Article, claim: Claim | None = None, limit: int = 20) -> list[str]:
    """Source phrases found in the article, nearest to `claim` first."""
    found: list[tuple[int, str]] = []
    for pattern in (_BEFORE_VERB, _ACCORDING):
        for match in pattern.finditer(article.body):
            phrase = " ".join(match.group(1).split()).strip(" ,")
            if phrase and phrase not in _STOP and len(phrase) > 2:
                found.append((match.start(1), phrase))
    anchor = claim.start if claim is not None else 0

    def distance(item: tuple[int, str]) -> int:
        # Sources named before the claim are likelier than ones after it.
        position = item[0]
        return anchor - position if position <= anchor else 2 * (position - anchor)

    ranked: list[str] = []
    for _, phrase in sorted(found, key=distance):
        if phrase not in ranked:
            ranked.append(phrase)
    return ranked[:limit]
