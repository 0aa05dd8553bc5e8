"""Attribution assistance: find the cues and sources of a claim, suggest but never decide.

Rule-based, no model, no download. For every claim the detector finds:

- **cues**: reporting verbs in all their forms ("said", "tells", "denying"),
  "according to", and quotation marks (straight and curly, paired across
  sentences within a paragraph), plus the stance words that bear on a label
  (denials, hedges such as "unconfirmed", confirmations such as "it is now
  confirmed");
- the **source** phrase those cues point to ("A Taliban official", "an aide of
  Masood", "Reuters"), with its body offsets;
- for a pronoun source ("he said"), the person (or, for "they", the group) it
  most likely refers to: the most recent named speaker or person in the
  paragraph and the four before it. That name is *resolved*, not found: it is
  reported apart from the source span;
- a **suggested label**, by the rule in `suggested_label_for`.

The lexicon
-----------
`TEXTACY_REPORTING_VERBS` is the English reporting-verb list of textacy
(chartbeat-labs/textacy, `src/textacy/constants.py`, `REPORTING_VERBS["en"]`,
Apache-2.0), which textacy uses to find direct quotations. `NEWSWIRE_ADDITIONS`
are verbs we added ourselves from common newswire usage ("editorialize",
"reiterate", "quote", ...); they are not taken from any published list. Which
verbs count on their own and which need a complement (`WEAK_LEMMAS`), the
inflections, and the stance phrases were compiled by hand for this project.

Detection works per paragraph (a quotation is paired and attributed within
its paragraph) and is cached by paragraph text, so a screen can ask for the
claims it shows without analysing the whole article.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from annotate.corpus import Article
from annotate.segment import Claim
from annotate.store import Event
from annotate.units import normalise_source

# -- lexicon --------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """The whitespace-separated words of a lexicon block."""
    return text.split()


TEXTACY_REPORTING_VERBS = frozenset(
    _words(
        """
        according accuse acknowledge add admit agree allege announce argue ask assert believe blame
        charge cite claim complain concede conclude confirm contend criticize declare decline deny
        describe disagree disclose estimate explain fear hope insist maintain mention note observe order
        predict promise recall recommend reply report say state stress suggest tell testify think urge
        warn worry write
        """
    )
)
NEWSWIRE_ADDITIONS = frozenset(
    _words(
        """
        affirm assure boast brand call caution characterize comment contest contradict counter dismiss
        dispute editorialize emphasize hint indicate inform label point quote rebut recount refer refute
        reiterate reject remark respond retort reveal speculate tweet underline vow
        """
    )
)
# Verbs that often mean something else ("adds to", "hopes to", "called off")
# count only with a reported complement: "that", a colon, a quotation mark,
# "as" for describe-like verbs, or in the attribution slot after a quotation
# or at the end of a clause (", Reuters reported.").
WEAK_LEMMAS = frozenset(
    _words(
        """
        add agree ask believe blame brand call caution characterize cite comment conclude contest
        counter decline describe disagree estimate fear hint hope indicate inform label maintain mention
        note observe order predict promise recall recommend recount refer reject remark respond
        speculate suggest think underline urge vow worry write dismiss boast
        """
    )
)
# "as" completes these: "described the threat as a blunder".
_AS_LEMMAS = frozenset({"describe", "label", "call", "brand", "characterize", "dismiss", "refer"})
# Phrasal reporting verbs: the particle is part of the cue.
_PHRASAL = {"point": "out", "call": "for"}
_IRREGULAR = {
    "say": ("says", "said", "said", "saying"),
    "tell": ("tells", "told", "told", "telling"),
    "think": ("thinks", "thought", "thought", "thinking"),
    "write": ("writes", "wrote", "written", "writing"),
}
_DOUBLING = frozenset({"admit", "rebut", "regret", "commit", "omit", "submit", "permit", "refer", "prefer"})

DISPUTE_LEMMAS = frozenset({"deny", "refute", "rebut", "contradict", "dispute", "disavow"})
# These dispute a claim only when their object is one: "rejected the claims",
# not "rejected the offer".
DISPUTE_WITH_OBJECT = frozenset({"reject", "dismiss", "contest", "challenge", "question"})
_CLAIM_OBJECT = re.compile(
    r"\s+(?:(?:the|these|those|such|his|her|their|its|all|any|earlier)\s+){0,2}"
    r"(?:claims?|reports?|allegations?|accusations?|charges?|accounts?|version|statements?|figures?"
    r"|assertions?|suggestions?|speculation|rumou?rs?|story|stories)\b",
    re.IGNORECASE,
)
# "Rebels deny the claim": a denial in the next sentence that names what the
# claim is (not "denied the charges", which contests something else).
_CONTESTED = re.compile(
    r"\s+(?:(?:the|this|that|these|those|such|their|his|her|its|government's|army's)\s+){1,2}"
    r"(?:claims?|reports?|accounts?|versions?(?:\s+of\s+events)?|statements?|assertions?)\b",
    re.IGNORECASE,
)
CONFIRMATION_LEMMAS = frozenset({"confirm", "verify", "corroborate"})
# Passive forms with no agent ("are believed to", "is said to") hedge a claim.
HEDGE_PASSIVE_LEMMAS = frozenset(
    {
        "say",
        "believe",
        "think",
        "report",
        "allege",
        "claim",
        "rumour",
        "rumor",
        "fear",
        "suspect",
        "understand",
    }
)
# Participles used as adjectives ("an alleged plot", "the claimed beheadings").
HEDGE_ADJECTIVES = frozenset(
    {"alleged", "claimed", "reported", "purported", "suspected", "rumoured", "rumored", "so-called"}
)


def inflections(lemma: str) -> tuple[str, ...]:
    """The forms of a verb: base, third person, past, past participle, -ing."""
    if lemma in _IRREGULAR:
        return (lemma, *_IRREGULAR[lemma])
    if lemma.endswith(("s", "sh", "ch", "x", "z", "o")):
        third = lemma + "es"
    elif lemma.endswith("y") and lemma[-2] not in "aeiou":
        third = lemma[:-1] + "ies"
    else:
        third = lemma + "s"
    if lemma in _DOUBLING:
        past, ing = lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"
    elif lemma.endswith("e"):
        past, ing = lemma + "d", (lemma if lemma.endswith("ee") else lemma[:-1]) + "ing"
    elif lemma.endswith("y") and lemma[-2] not in "aeiou":
        past, ing = lemma[:-1] + "ied", lemma + "ing"
    else:
        past, ing = lemma + "ed", lemma + "ing"
    forms = [lemma, third, past, past, ing]
    if lemma.endswith("l") and lemma[-2] in "aeiou" and lemma[-3] not in "aeiou":
        forms += [lemma + "led", lemma + "ling"]  # British "labelled"
    return tuple(forms)


REPORTING_LEMMAS = TEXTACY_REPORTING_VERBS | NEWSWIRE_ADDITIONS
"""The whole reporting-verb lexicon (lemmas)."""


def _build_forms() -> dict[str, str]:
    forms: dict[str, str] = {}
    for lemma in sorted(TEXTACY_REPORTING_VERBS | NEWSWIRE_ADDITIONS | DISPUTE_WITH_OBJECT):
        if lemma == "according":
            continue
        spellings = [lemma]
        if lemma.endswith("ize"):
            spellings.append(lemma[:-3] + "ise")  # British spelling
        for spelling in spellings:
            for form in inflections(spelling):
                forms.setdefault(form, lemma)
    return forms


VERB_FORMS: Mapping[str, str] = _build_forms()
"""Every inflected form of the lexicon, mapped to its lemma."""

# -- tokens and sentences ---------------------------------------------------------

_ABBREVIATIONS = (
    "Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Capt|Sgt|Maj|Cpl|Adm|Gov|Sen|Rep|Rev|St|Jr|Sr|No|Mt|Ft|Brig|Cmdr|Supt|Hon"
)
_TOKEN = re.compile(
    rf"(?:{_ABBREVIATIONS})\.|(?:[A-Z]\.){{2,}}|[A-Z]\.(?=\s+[A-Z])|\w+(?:[’'\-]\w+)*|[^\w\s]"
)
OPENING_QUOTES = "“„«"
CLOSING_QUOTES = "”»"
STRAIGHT_QUOTE = '"'
QUOTE_MARKS = OPENING_QUOTES + CLOSING_QUOTES + STRAIGHT_QUOTE
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’»)]*\s+(?=[\"“‘«(]?[A-Z0-9])")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str
    low: str


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.start(), m.end(), m.group(), m.group().lower()) for m in _TOKEN.finditer(text)]


def sentence_starts(text: str) -> list[int]:
    """Offsets where the sentences of a paragraph start (rule-based, abbreviation-aware)."""
    starts = [0]
    for match in _SENTENCE_END.finditer(text):
        before = text[: match.start()].rsplit(None, 1)[-1] if text[: match.start()].strip() else ""
        if re.fullmatch(rf"(?:{_ABBREVIATIONS})|[A-Z]|(?:[A-Z]\.)+[A-Z]", before):
            continue
        starts.append(match.end())
    return starts


# -- word classes used by the rules -------------------------------------------------

_DETERMINERS = frozenset(
    _words(
        """
        the a an this that these those his her its their our my your no any some such each every all
        """
    )
)
# Modifiers that make an ambiguous word or a participle a noun or adjective
# ("earlier reports", "the only confirmed battle"), but not "an official said".
_MODIFIERS = frozenset(
    _words(
        """
        earlier later recent initial first latest conflicting unconfirmed further similar many several
        numerous other previous local independent credible false new only both true
        """
    )
)
# Nouns that modify a noun ("press reports") but are subjects before a participle ("media quoted").
_NOUN_MODIFIERS = frozenset({"press", "news", "media", "official", "police", "government"})
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you"})
_AUXILIARIES = frozenset(
    _words(
        """
        has have had is are was were be been being will would could can may might should shall must did
        does do also later earlier then now further already repeatedly publicly privately categorically
        previously again still once first recently today yesterday however never not flatly strongly
        reportedly often
        """
    )
)
_BE = frozenset({"is", "are", "was", "were", "be", "been", "being", "'s", "’s"})
_NEGATIONS = frozenset(
    {
        "not",
        "n't",
        "never",
        "no",
        "unable",
        "refused",
        "declined",
        "without",
        "cannot",
        "failing",
        "failed",
        "fail",
    }
)
_CLAUSE_STOPS = frozenset(
    _words(
        """
        that which who whom whose what where when while because after before since although though if as
        but whether unless until so;
        """
    )
)
_INTRO_WORDS = frozenset(
    _words(
        """
        in on at from for with by as after before during speaking describing asked contacted while when
        although though meanwhile however also according but and yet so since despite following under
        over through
        """
    )
)
_LEADING_JUNK = frozenset({"but", "and", "yet", "so", "meanwhile", "however", "also", "which", "who", "that"})
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_TRAILING_TIME = re.compile(
    rf"(?:\s*,)?\s+(?:(?:late|early)\s+)?(?:on\s+)?(?:{_WEEKDAYS})(?:\s+(?:morning|afternoon|evening|night))?$"
    r"|\s+(?:last|this|next)\s+(?:week|month|year|night|morning|weekend)$"
    r"|\s+(?:today|yesterday|tonight)$",
    re.IGNORECASE,
)
_TITLES = frozenset(
    _words(
        """
        mr. mrs. ms. dr. prof. gen. lt. col. capt. sgt. maj. cpl. adm. gov. sen. rep. rev. brig. cmdr.
        president minister general colonel captain sheikh judge senator governor mayor chancellor king
        queen prince princess pope ambassador commander chief premier sergeant lieutenant major admiral
        bishop archbishop cardinal imam rabbi
        """
    )
)
_PERSON_NOUNS = frozenset(
    _words(
        """
        spokesman spokeswoman spokesperson minister official officer leader president aide adviser
        advisor commander chief businessman businesswoman son daughter wife husband father mother
        brother sister reporter correspondent journalist director secretary general governor mayor
        ambassador envoy lawyer attorney doctor witness resident analyst expert member head chairman
        chairwoman founder owner candidate negotiator activist soldier colonel captain lieutenant
        sergeant judge prosecutor professor researcher scientist student teacher executive manager
        worker diplomat cleric priest bishop king queen prince legislator lawmaker senator deputy
        representative man woman victim survivor eyewitness farmer militant rebel fighter
        """
    )
)
_ORG_WORDS = frozenset(
    _words(
        """
        movement army forces force party front council government ministry times news post press agency
        valley province region republic nations union guard regiment infantry corps court church
        university college school company corporation inc ltd bank committee commission organization
        organisation association institute foundation department office security states state kingdom
        city county district street road airport congress assembly parliament senate house liberation
        democracy defense defence justice equality alliance federation group network service services
        television radio channel centre center hospital police navy mountains river sea ocean island
        islands gulf strait desert lake coast north south east west northern southern eastern western
        central islamic twitter facebook internet comments monday tuesday wednesday thursday friday
        saturday sunday january february march april may june july august september october november
        december
        """
    )
)
# Common nouns that open sentences capitalised ("Police said", "Witnesses told"):
# sources, but never a person's name.
_GROUP_WORDS = frozenset(
    _words(
        """
        police officials witnesses rebels residents sources authorities analysts experts troops soldiers
        militants insurgents protesters critics diplomats doctors investigators prosecutors lawyers
        activists villagers survivors observers journalists reporters workers students scientists
        researchers officers officials residents fighters leaders ministers spokesmen
        """
    )
)
NEWS_AGENCIES = frozenset(
    _words(
        """
        reuters ap afp xinhua interfax tass bloomberg bbc cnn voa npr kyodo yonhap ansa dpa efe irna pti
        ani wikinews guardian
        """
    )
)
_NAME_PARTICLE = re.compile(r"al|el|bin|ibn|de|da|del|della|di|du|van|von|der|den|la|le")
_HYPHEN_PARTICLE = re.compile(r"(?:al|el|ad|as)-[A-Z][\w’'-]*")
_CAP_STOPS = frozenset(
    _words(
        """
        the a an this that these those but and in on at from for with by as after before meanwhile
        however it he she they we i both several some many one two three four five according speaking
        describing there his her its their our my your if when while although though because since so
        yet or nor
        """
    )
)
_PLURAL_HEAD = re.compile(r"^[a-z][a-z-]*s$")
_CONTRAST = re.compile(r"^(?:but|however|yet|still|in contrast|by contrast|nevertheless)\b", re.IGNORECASE)

# Stance phrases (hand-compiled): the named group `t` is the cue span.
_STANCE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in [
        ("dispute", r"\b(?P<t>not (?:a |an )?(?:true|accurate|correct))\b"),
        ("dispute", r"\b(?P<t>untrue|falsely|baseless|unfounded|fabricated|fabrications?)\b"),
        ("dispute", r"\b(?P<t>incorrectly|wrongly|mistakenly|erroneously)\b"),
        ("dispute", r"\b(?P<t>no (?:truth|evidence|indication|sign|proof))\b"),
        ("dispute", r"\b(?P<t>conflicting (?:reports|accounts|claims|statements|information|versions))\b"),
        ("dispute", r"\b(?P<t>contrary to)\b"),
        ("dispute", r"\b(?:telling|tell|tells|told) (?P<t>lies)\b"),
        ("dispute", r"\b(?P<t>denials?)\b"),
        ("hedge", r"\b(?P<t>un(?:confirmed|verified|substantiated))\b"),
        ("hedge", r"\b(?P<t>uncertain(?:ty|ties)?|unclear)\b"),
        ("hedge", r"\b(?P<t>not (?:yet )?(?:known|clear|confirmed|verified))\b"),
        ("hedge", r"\b(?P<t>could not (?:be )?(?:independently )?(?:verified|confirmed))\b"),
        ("hedge", r"\b(?P<t>(?:unable|impossible) to (?:determine|confirm|verify|establish))\b"),
        ("hedge", r"\b(?P<t>reportedly|allegedly|purportedly|apparently|speculation|rumou?r(?:s|ed)?)\b"),
        ("confirmation", r"\b(?P<t>corroborated|independently verified)\b"),
    ]
)

CUE_KINDS = ("verb", "according_to", "quote", "dispute", "hedge", "confirmation")
ATTRIBUTION_KINDS = frozenset({"verb", "according_to", "quote"})
STANCE_KINDS = frozenset({"dispute", "hedge", "confirmation"})

# -- results ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """A span of the body: `body[start:end] == text`."""

    start: int
    end: int
    text: str

    def as_json(self) -> dict[str, Any]:
        """The span as the JSON contract has it."""
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Cue:
    """An attribution or stance cue; `kind` is one of CUE_KINDS."""

    start: int
    end: int
    text: str
    kind: str

    def as_json(self) -> dict[str, Any]:
        """The cue as the JSON contract has it (plus its kind)."""
        return {"start": self.start, "end": self.end, "text": self.text, "kind": self.kind}


@dataclass(frozen=True)
class Suggestion:
    """What the detector proposes for one claim. The annotator decides."""

    paragraph: int
    start: int
    end: int
    text: str
    cues: tuple[Cue, ...]
    source: Span | None
    source_resolved: str | None
    label: str | None
    reason: str

    @property
    def source_text(self) -> str | None:
        """The source to propose: the phrase found, or the name a pronoun resolves to."""
        if self.source is None:
            return None
        if self.source.text.lower() in _PRONOUNS:
            return self.source_resolved
        return " ".join(self.source.text.split())

    def recorded(self) -> dict[str, str | None]:
        """The optional `suggested` field of an event: what was proposed."""
        return {"label": self.label, "source": self.source_text}

    def as_json(self, article_id: str) -> dict[str, Any]:
        """One JSONL record of `annotate suggest --json` (the contract in README)."""
        return {
            "article_id": article_id,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "cues": [cue.as_json() for cue in self.cues],
            "source": self.source.as_json() if self.source else None,
            "source_resolved": self.source_resolved,
            "suggested_label": self.label,
        }


# -- one paragraph on its own (cached by text) ----------------------------------------------


@dataclass
class _Quote:
    open_mark: int | None  # offset of the opening mark, None when it opened in an earlier paragraph
    close_mark: int | None  # None when the quotation runs on past the paragraph
    content: tuple[int, int]
    speaker: int | None = None  # index into attributions


@dataclass
class _Attribution:
    cue: tuple[int, int]
    kind: str  # "verb" or "according_to"
    lemma: str
    inside_quote: bool
    source: tuple[int, int] | None = None
    extra_cues: tuple[tuple[int, int], ...] = ()


@dataclass
class _Mention:
    start: int
    end: int
    name: str
    strong: bool
    speaker: bool = False


@dataclass
class _Local:
    """A paragraph analysed on its own; offsets are relative to the paragraph."""

    text: str
    sentences: list[int]
    quotes: list[_Quote]
    attributions: list[_Attribution]
    stance: list[tuple[int, int, str]]
    mentions: list[_Mention]


def _is_upper_word(token: _Token) -> bool:
    return token.text[:1].isupper() and token.text[:1].isalpha()


# Words that are nouns as often as verbs: their base and -s forms count as verbs
# only after a subject-like word ("the rebels claim", "Colombant reports").
_AMBIGUOUS_LEMMAS = frozenset(
    _words(
        """
        report claim note state order estimate charge fear hope promise comment remark quote tweet
        counter label brand call dispute contest question challenge answer reply dismiss
        """
    )
)
_VERB_BEFORE = frozenset(
    _words(
        """
        he she they we i you who which that it to will would could can may might must should shall did
        does do also now still later often repeatedly further again then never
        """
    )
)
_PREPOSITIONS = frozenset(
    {"for", "of", "in", "with", "without", "from", "by", "on", "at", "into", "after", "before"}
)


def _noun_use(tokens: list[_Token], i: int, lemma: str) -> bool:
    """Whether a lexicon word is used as a noun or adjective ("the claim", "for fear that")."""
    previous = tokens[i - 1] if i > 0 else None
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    word = tokens[i].low
    participle = word.endswith(("ed", "ing"))
    if previous is not None and (
        previous.low in _DETERMINERS
        or (
            previous.low in _MODIFIERS
            and previous.text.islower()
            and (lemma in _AMBIGUOUS_LEMMAS or participle)
        )
        or (previous.low in _NOUN_MODIFIERS and lemma in _AMBIGUOUS_LEMMAS and not participle)
        or previous.low in _PREPOSITIONS
        or previous.low.endswith(("'s", "’s"))
        or previous.text in {"’", "'"}
    ):
        return True
    if following is not None and following.low in {"of", "about"} and not word.endswith("ing"):
        return True
    if lemma in _AMBIGUOUS_LEMMAS and not word.endswith(("ed", "ing")) and word not in {"said", "told"}:
        if previous is None:
            return True
        subject_like = (
            previous.low in _VERB_BEFORE
            or previous.low == ","
            or (_is_upper_word(previous) and i > 1)
            or (previous.low.endswith("s") and previous.low.isalpha() and len(previous.low) > 3)
        )
        return not subject_like
    return False


def _passive(tokens: list[_Token], i: int) -> bool:
    j = i - 1
    while j >= 0 and tokens[j].low in {"now", "also", "widely", "still", "already", "not", "never", "being"}:
        if tokens[j].low == "being":
            return True
        j -= 1
    return j >= 0 and tokens[j].low in _BE


def _negated(tokens: list[_Token], i: int) -> bool:
    return any(t.low in _NEGATIONS for t in tokens[max(0, i - 3) : i])


def _has_complement(tokens: list[_Token], i: int, lemma: str, opening: set[int], closing: set[int]) -> bool:
    """A weak verb counts only with a reported complement (see WEAK_LEMMAS)."""
    following = tokens[i + 1 : i + 14]
    if not following or following[0].low in {"that", ":", ".", ","} or following[0].start in opening:
        return True  # "that ...", a quotation, or clause-final: ", Reuters reported."
    for token in following[:5]:
        if token.start in opening:
            return True
        if token.low in {".", ";"} or token.start in closing:
            break
    if lemma in _AS_LEMMAS and any(t.low == "as" for t in following[:12]):
        return True
    # The attribution slot after a quotation: `,” he noted`.
    return any(t.start in closing for t in tokens[max(0, i - 4) : i])


def _pair_quotes(text: str) -> list[_Quote]:
    quotes: list[_Quote] = []
    open_at: int | None = None
    for index, char in enumerate(text):
        if char not in QUOTE_MARKS:
            continue
        if char == STRAIGHT_QUOTE:
            opening = open_at is None and (index == 0 or text[index - 1] in " \t\n([{—–-/" + OPENING_QUOTES)
            closing = open_at is not None
        else:
            opening = char in OPENING_QUOTES and open_at is None
            closing = char in CLOSING_QUOTES
        if opening:
            open_at = index
        elif closing:
            if open_at is None:
                quotes.append(_Quote(None, index, (0, index)))  # continues from an earlier paragraph
            else:
                quotes.append(_Quote(open_at, index, (open_at + 1, index)))
                open_at = None
    if open_at is not None:
        quotes.append(_Quote(open_at, None, (open_at + 1, len(text))))
    return quotes


def _inside(quotes: list[_Quote], offset: int) -> bool:
    return any(q.content[0] <= offset < q.content[1] for q in quotes)


_LY_NOUNS = frozenset(
    _words(
        """
        family assembly ally rally supply monopoly anomaly reply bully fly jelly belly
        """
    )
)


def _adverb(word: str) -> bool:
    """An -ly adverb between a subject and its verb ("Lavrov incorrectly said")."""
    return (
        word.islower() and word.isalpha() and word.endswith("ly") and len(word) > 4 and word not in _LY_NOUNS
    )


def _trim_phrase(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Trim a candidate source phrase: junk words, time adjuncts, punctuation."""
    while True:
        piece = text[start:end]
        stripped = piece.strip(" ,;:—–-")
        if not stripped:
            return None
        start += piece.index(stripped)
        end = start + len(stripped)
        piece = stripped
        first = piece.split(None, 1)[0].lower().strip(",")
        if first in _LEADING_JUNK and " " in piece:
            start += len(piece.split(None, 1)[0])
            continue
        match = _TRAILING_TIME.search(piece)
        if match and match.start() > 0:
            end = start + match.start()
            continue
        words = piece.split()
        last = words[-1].lower().strip(",")
        if len(words) > 1 and (last in _AUXILIARIES or _adverb(words[-1])):
            end = start + len(piece) - len(words[-1])
            continue
        break
    if len(piece.split()) > 12 or not any(c.isalpha() for c in piece):
        return None
    return start, end


def _subject_before(
    local_text: str, tokens: list[_Token], i: int, cue_positions: set[int]
) -> tuple[int, int] | None:
    """The subject noun phrase left of the reporting verb at token `i`."""
    j = i - 1
    while j >= 0 and (tokens[j].low in _AUXILIARIES or (j > 0 and _adverb(tokens[j].text))):
        j -= 1
    end_token = j
    k = j
    while k >= 0:
        token = tokens[k]
        if token.text in CLOSING_QUOTES or token.text in OPENING_QUOTES or token.text == STRAIGHT_QUOTE:
            break
        if token.low in {";", ":", "—", "–", "(", ")", ".", "!", "?", "…"} or k in cue_positions:
            break
        if token.low in _CLAUSE_STOPS and not (k > 0 and tokens[k - 1].low == ","):
            break
        if token.low in {"and", "or"} and k > 0 and tokens[k - 1].low == ",":
            break
        k -= 1
    if end_token < 0 or k >= end_token:
        return None
    first = tokens[k + 1]
    last = tokens[end_token]
    left = local_text[first.start : last.end]
    # Commas split the left context into an intro, the subject and appositives.
    segments: list[tuple[int, int]] = []
    segment_start = first.start
    for token in tokens[k + 1 : end_token + 1]:
        if token.low == ",":
            segments.append((segment_start, token.start))
            segment_start = token.end
    ends_with_comma = left.rstrip().endswith(",")
    if not ends_with_comma:
        segments.append((segment_start, last.end))
    segments = [s for s in segments if local_text[s[0] : s[1]].strip()]
    if not segments:
        return None
    if ends_with_comma:
        chosen = None
        for start, end in segments:
            word = local_text[start:end].split(None, 1)[0].lower()
            if word in _INTRO_WORDS or (word.endswith("ing") and word not in {"king"}):
                continue
            chosen = (start, end)
            break
        if chosen is None:
            return None
    else:
        chosen = segments[-1]
    return _trim_phrase(local_text, *chosen)


def _phrase_after(
    local_text: str, tokens: list[_Token], i: int, stop_at_preposition: bool = True
) -> tuple[int, int] | None:
    """The noun phrase right after token `i` (an inverted subject or "according to X")."""
    j = i + 1
    if j >= len(tokens):
        return None
    first = tokens[j]
    # "according to local officials" may start anywhere; an inverted subject starts a noun phrase.
    if stop_at_preposition and not (
        _is_upper_word(first) or first.low in _DETERMINERS or first.low in _PRONOUNS
    ):
        return None
    if first.low in {"that", "this"}:
        return None
    end = j
    k = j
    prepositions = {
        "in",
        "on",
        "at",
        "from",
        "by",
        "to",
        "during",
        "after",
        "before",
        "with",
        "who",
        "which",
        "that",
    }
    while k < len(tokens) and k - j < 14:
        token = tokens[k]
        if token.low in {",", ".", ";", ":", "!", "?", "—", "–", "(", ")"} or token.text in QUOTE_MARKS:
            break
        if stop_at_preposition and token.low in prepositions and k > j:
            break
        if k > j and token.low in {"who", "which", "that", "said", "says", "told", "as"}:
            break
        end = k
        k += 1
    return _trim_phrase(local_text, first.start, tokens[end].end)


def _analyse_attributions(
    text: str, tokens: list[_Token], quotes: list[_Quote], starts: list[int]
) -> tuple[list[_Attribution], list[tuple[int, int, str]]]:
    attributions: list[_Attribution] = []
    stance: list[tuple[int, int, str]] = []
    positions: dict[int, int] = {}  # token index -> attribution index
    opening = {q.open_mark for q in quotes if q.open_mark is not None}
    closing = {q.close_mark for q in quotes if q.close_mark is not None}
    skip: set[int] = set()
    for i, token in enumerate(tokens):
        if i in skip:
            continue
        if token.low == "according" and i + 1 < len(tokens) and tokens[i + 1].low == "to":
            attribution = _Attribution(
                (token.start, tokens[i + 1].end), "according_to", "according", _inside(quotes, token.start)
            )
            attribution.source = _phrase_after(text, tokens, i + 1, stop_at_preposition=False)
            positions[i] = len(attributions)
            attributions.append(attribution)
            skip.add(i + 1)
            continue
        lemma = VERB_FORMS.get(token.low)
        if lemma is None:
            continue
        if token.low in HEDGE_ADJECTIVES and i > 0 and _noun_use(tokens, i, lemma):
            stance.append((token.start, token.end, "hedge"))  # "an alleged plot", "for alleged crimes"
            continue
        if _is_upper_word(token) and i > 0 and tokens[i - 1].text[:1].isalnum():
            continue  # a capitalised word mid-sentence is a name: "the U.S. State Department"
        if _noun_use(tokens, i, lemma):
            if lemma in CONFIRMATION_LEMMAS and token.low.endswith("ed"):
                stance.append((token.start, token.end, "confirmation"))
            continue
        negated = _negated(tokens, i)
        particle = _PHRASAL.get(lemma)
        has_particle = particle is not None and i + 1 < len(tokens) and tokens[i + 1].low == particle
        if lemma == "point" and not has_particle:
            continue
        end = tokens[i + 1].end if has_particle else token.end
        passive = token.low.endswith(("ed", "said", "told", "thought", "written")) and _passive(tokens, i)
        by_agent = passive and i + 1 < len(tokens) and tokens[i + 1].low == "by"
        disputes = lemma in DISPUTE_LEMMAS or (
            lemma in DISPUTE_WITH_OBJECT and _CLAIM_OBJECT.match(text, end)
        )
        if disputes and not negated:
            stance.append((token.start, end, "dispute"))
        if lemma in CONFIRMATION_LEMMAS:
            stance.append((token.start, token.end, "hedge" if negated else "confirmation"))
        if passive and not by_agent:
            if lemma in HEDGE_PASSIVE_LEMMAS:
                stance.append((token.start, token.end, "hedge"))
            continue
        if lemma not in REPORTING_LEMMAS:
            continue  # "challenge", "question": stance only
        if lemma == "tell" and i + 1 < len(tokens) and tokens[i + 1].low in {"to", "lies"}:
            continue  # "told to evacuate" is an order, "telling lies" is not a report
        if token.low == "said" and i + 1 < len(tokens) and tokens[i + 1].low == "to":
            continue
        if (lemma in WEAK_LEMMAS and not has_particle) and not _has_complement(
            tokens, i, lemma, opening, closing
        ):
            continue
        if negated:
            continue  # "have not announced" attributes nothing
        attribution = _Attribution((token.start, end), "verb", lemma, _inside(quotes, token.start))
        if by_agent:
            attribution.source = _phrase_after(text, tokens, i + 1)
        positions[i] = len(attributions)
        attributions.append(attribution)
        if has_particle:
            skip.add(i + 1)
    # Sources, now that every cue position is known (a subject stops at an earlier cue).
    cue_tokens = set(positions)
    for i, index in positions.items():
        attribution = attributions[index]
        if attribution.source is not None or attribution.kind != "verb":
            continue
        token = tokens[i]
        if attribution.lemma == "quote":
            for k in range(i + 1, min(len(tokens) - 1, i + 14)):
                if tokens[k].low == "as" and tokens[k + 1].low in {"saying", "having"}:
                    found = _trim_phrase(text, tokens[i + 1].start, tokens[k - 1].end) if k > i + 1 else None
                    attribution.source = found
                    break
            if attribution.source is not None:
                continue
        previous = tokens[i - 1] if i > 0 else None
        after_quote = previous is not None and (
            previous.text in CLOSING_QUOTES
            or (previous.text == STRAIGHT_QUOTE and _quote_closes_at(quotes, previous.start))
            or (previous.low == "," and i > 1 and tokens[i - 2].text in CLOSING_QUOTES + STRAIGHT_QUOTE)
        )
        subject = None if after_quote else _subject_before(text, tokens, i, cue_tokens)
        if subject is None and not token.low.endswith("ing"):
            subject = _phrase_after(text, tokens, i)
            if subject is not None and text[subject[0] : subject[1]].lower() in {"that", "it"}:
                subject = None
        attribution.source = subject
    # Participles and coordinated verbs share the subject of a neighbour in the sentence.
    for index, attribution in enumerate(attributions):
        if attribution.source is not None or attribution.kind != "verb":
            continue
        sentence = _sentence_span(starts, len(text), attribution.cue[0])
        neighbours = [
            other
            for other in attributions[:index][::-1] + attributions[index + 1 :]
            if other.source is not None and sentence[0] <= other.cue[0] < sentence[1] and other.kind == "verb"
        ]
        if neighbours:
            attribution.source = neighbours[0].source
    return attributions, stance


def _quote_closes_at(quotes: list[_Quote], offset: int) -> bool:
    return any(q.close_mark == offset for q in quotes)


def _sentence_span(starts: list[int], length: int, offset: int) -> tuple[int, int]:
    """The (start, end) of the sentence holding `offset`, from the sentence starts."""
    index = bisect.bisect_right(starts, offset) - 1
    return starts[max(0, index)], starts[index + 1] if index + 1 < len(starts) else length


def _attribute_quotes(
    text: str, starts: list[int], quotes: list[_Quote], attributions: list[_Attribution]
) -> None:
    """Give each quotation its speaker: the attribution after it, the verb before it, or the previous speaker."""
    previous_speaker: int | None = None
    for quote in quotes:
        chosen: int | None = None
        if quote.close_mark is not None:
            sentence_end = _sentence_span(starts, len(text), quote.close_mark)[1]
            for index, attribution in enumerate(attributions):
                start = attribution.cue[0]
                if (
                    quote.close_mark < start < sentence_end
                    and not attribution.inside_quote
                    and len(text[quote.close_mark + 1 : start].split()) <= 7
                    and not any(mark in text[quote.close_mark + 1 : start] for mark in QUOTE_MARKS)
                ):
                    chosen = index
                    break
        if chosen is None and quote.open_mark is not None:
            sentence_start = _sentence_span(starts, len(text), quote.open_mark)[0]
            before = [
                index
                for index, attribution in enumerate(attributions)
                if sentence_start <= attribution.cue[0] < quote.open_mark and not attribution.inside_quote
            ]
            if before:
                chosen = before[-1]
        # A quotation that opens a sentence with no verb of its own continues the last speaker.
        if (
            chosen is None
            and quote.open_mark is not None
            and previous_speaker is not None
            and _sentence_span(starts, len(text), quote.open_mark)[0] >= quote.open_mark - 1
        ):
            chosen = previous_speaker
        quote.speaker = chosen
        if chosen is not None:
            previous_speaker = chosen


def _person_mentions(text: str, tokens: list[_Token], attributions: list[_Attribution]) -> list[_Mention]:
    """Capitalised name runs, with whether the text says they are people (strong)."""
    sources = [a.source for a in attributions if a.source is not None]
    mentions: list[_Mention] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not _is_upper_word(token) or token.low in _CAP_STOPS or token.low in _PRONOUNS:
            i += 1
            continue
        run = [i]
        k = i + 1
        while k < len(tokens) and text[tokens[k - 1].end : tokens[k].start] == " ":
            nxt = tokens[k]
            if (
                _is_upper_word(nxt)
                or _HYPHEN_PARTICLE.fullmatch(nxt.text)
                or (
                    _NAME_PARTICLE.fullmatch(nxt.low)
                    and k + 1 < len(tokens)
                    and _is_upper_word(tokens[k + 1])
                    and text[nxt.end : tokens[k + 1].start] == " "
                )
            ):
                run.append(k)
            else:
                break
            k += 1
        i = k
        words = [tokens[r] for r in run]
        titled = False
        last_title = -1
        for position, word in enumerate(words):
            if word.low in _TITLES:
                last_title = position
        if last_title >= 0:
            titled = True
            words = words[last_title + 1 :]
        if not words:
            continue
        lows = [w.low.removesuffix("'s").removesuffix("’s") for w in words]
        if any(w in _ORG_WORDS for w in lows) or lows[0] in NEWS_AGENCIES:
            continue
        if len(lows) == 1 and (lows[0] in _GROUP_WORDS or lows[0] in _PERSON_NOUNS or lows[0] in _TITLES):
            continue
        if any(w.text.isupper() and len(w.text.strip(".")) > 1 for w in words):
            continue  # acronyms: UFDD, U.S.
        start, end = words[0].start, words[-1].end
        name = text[start:end]
        for suffix in ("'s", "’s"):
            if name.endswith(suffix):
                name, end = name[: -len(suffix)], end - len(suffix)
        speaker = any(s[0] <= start and end == s[1] for s in sources)
        before = text[:start].rstrip()
        after = text[end:].lstrip()
        appositive = False
        if before.endswith(","):
            segment = re.split(r"[,.;:]", before[:-1])[-1].lower().split()
            appositive = any(w.strip("’'s") in _PERSON_NOUNS or w in _PERSON_NOUNS for w in segment)
            # ", Name," right after a source phrase names that source.
            if any(s[1] == len(before) - 1 for s in sources):
                speaker = True
        if after.startswith(","):
            segment = after[1:].split(",")[0].lower().split()[:6]
            if segment and segment[0] in {"a", "an", "the", "one", "who", "himself", "herself", "another"}:
                appositive = appositive or any(
                    w in _PERSON_NOUNS or w.rstrip("s") in _PERSON_NOUNS for w in segment
                )
        named = before.lower().endswith((" named", " called")) or before.lower() in {"named", "called"}
        copula = re.match(r"(?:is|was)\s+(?:the|a|an)\s+(\w+)", after)
        is_person = copula is not None and copula.group(1).lower() in _PERSON_NOUNS
        strong = titled or speaker or appositive or named or is_person
        if len(words) == 1 and not strong:
            mentions.append(_Mention(start, end, name, False))
            continue
        mentions.append(_Mention(start, end, name, strong or False, speaker))
    return mentions


@lru_cache(maxsize=8192)
def _local(text: str) -> _Local:
    """Everything about a paragraph that depends on its text alone."""
    tokens = _tokens(text)
    starts = sentence_starts(text)
    quotes = _pair_quotes(text)
    attributions, stance = _analyse_attributions(text, tokens, quotes, starts)
    _attribute_quotes(text, starts, quotes, attributions)
    for kind, pattern in _STANCE_PATTERNS:
        for match in pattern.finditer(text):
            stance.append((match.start("t"), match.end("t"), kind))
    mentions = _person_mentions(text, tokens, attributions)
    return _Local(text, starts, quotes, attributions, sorted(set(stance)), mentions)


# -- an article: pronouns resolved over a window of paragraphs ----------------------------

RESOLUTION_WINDOW = 4
"""How many paragraphs before a pronoun are searched for the person it refers to."""


def surname_key(name: str) -> str:
    """The comparable last word of a name: lower case, without "al-"/"el-" or a possessive."""
    words = name.replace("’", "'").split()
    if not words:
        return ""
    last = words[-1].lower().removesuffix("'s")
    return re.sub(r"^(?:al|el|ad|as)-", "", last)


def same_referent(a: str, b: str) -> bool:
    """Whether two resolved names refer to the same person or group (surname or head noun)."""
    return surname_key(a) == surname_key(b) and bool(surname_key(a))


def _strip_titles(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[0].lower() in _TITLES:
        words = words[1:]
    return " ".join(words)


@dataclass
class _Resolved:
    local: _Local
    resolved: dict[int, str]  # source start offset (paragraph-relative) -> name


class ArticleAttribution:
    """Suggestions for the claims of one article, computed lazily per paragraph and cached."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self._paragraphs: dict[int, _Resolved] = {}

    def _resolve(self, index: int) -> _Resolved:
        cached = self._paragraphs.get(index)
        if cached is not None:
            return cached
        last_person: str | None = None
        last_group: str | None = None
        speakers: dict[str, str] = {}
        names: dict[str, str] = {}
        result: dict[int, str] = {}
        for paragraph in range(max(0, index - RESOLUTION_WINDOW), index + 1):
            local = _local(self.article.paragraphs[paragraph])
            events: list[tuple[int, int, object]] = []
            for mention in local.mentions:
                events.append((mention.start, 0, mention))
            for attribution in local.attributions:
                if attribution.source is not None:
                    events.append((attribution.source[0], 1, attribution))
            weak_fallback: str | None = None
            for position, _, item in sorted(events, key=lambda e: (e[0], e[1])):
                if isinstance(item, _Mention):
                    key = surname_key(item.name)
                    plain = _strip_titles(item.name)
                    if item.strong or key in speakers or key in names:
                        if item.speaker:
                            speakers[key] = max(speakers.get(key, ""), plain, key=len)
                        names[key] = max(names.get(key, ""), plain, key=len)
                        last_person = key
                    else:
                        weak_fallback = plain
                    continue
                assert isinstance(item, _Attribution) and item.source is not None
                phrase = local.text[item.source[0] : item.source[1]]
                low = phrase.lower()
                if low in {"he", "she"}:
                    name = self._full_name(last_person, speakers, names) if last_person else weak_fallback
                    if name is not None and paragraph == index:
                        result[position] = name
                elif low == "they":
                    if last_group is not None and paragraph == index:
                        result[position] = last_group
                elif _PLURAL_HEAD.match(phrase.split()[-1]):
                    last_group = phrase
        resolved = _Resolved(_local(self.article.paragraphs[index]), result)
        self._paragraphs[index] = resolved
        return resolved

    @staticmethod
    def _full_name(key: str, speakers: dict[str, str], names: dict[str, str]) -> str:
        best = speakers.get(key) or names.get(key) or key
        if len(best.split()) == 1 and len(names.get(key, "").split()) > 1:
            best = names[key]
        return best

    def paragraph_marks(self, index: int) -> list[tuple[int, int, str]]:
        """Body spans to mark in paragraph `index`: ("cue" or "source", start, end)."""
        resolved = self._resolve(index)
        local = resolved.local
        base = self.article.paragraph_starts[index]
        marks: list[tuple[int, int, str]] = []
        for attribution in local.attributions:
            marks.append((base + attribution.cue[0], base + attribution.cue[1], "cue"))
            if attribution.source is not None:
                marks.append((base + attribution.source[0], base + attribution.source[1], "source"))
        for quote in local.quotes:
            for mark in (quote.open_mark, quote.close_mark):
                if mark is not None:
                    marks.append((base + mark, base + mark + 1, "cue"))
        for start, end, _ in local.stance:
            marks.append((base + start, base + end, "cue"))
        return sorted(set(marks))

    def suggest(self, claim: Claim, labels: Iterable[str] | None = None) -> Suggestion:
        """Cues, source and suggested label for `claim` (labels: the schema's label names)."""
        index = claim.paragraph
        resolved = self._resolve(index)
        local = resolved.local
        base = self.article.paragraph_starts[index]
        text = local.text
        start, end = claim.start - base, claim.end - base
        cues: list[tuple[int, int, str]] = []  # body offsets
        chosen: tuple[_Attribution, _Resolved, int] | None = None
        for attribution in local.attributions:
            if start <= attribution.cue[0] < end:
                cues.append((base + attribution.cue[0], base + attribution.cue[1], attribution.kind))
                if chosen is None and not attribution.inside_quote and attribution.source is not None:
                    chosen = (attribution, resolved, base)
        quote_speaker: tuple[_Attribution, _Resolved, int] | None = None
        for quote in local.quotes:
            if not (quote.content[0] < end and start < quote.content[1] + 1):
                continue
            for mark in (quote.open_mark, quote.close_mark):
                if mark is not None:
                    cues.append((base + mark, base + mark + 1, "quote"))
            speaker = self._speaker(index, quote)
            if speaker is not None:
                attribution, owner, owner_base = speaker
                cues.append(
                    (owner_base + attribution.cue[0], owner_base + attribution.cue[1], attribution.kind)
                )
                if quote_speaker is None and attribution.source is not None:
                    quote_speaker = speaker
        if chosen is None:
            chosen = quote_speaker
        stance = [(base + s, base + e, kind) for s, e, kind in local.stance if start <= s < end]
        following = self._next_sentence(local, end)
        if following is not None:
            next_start, next_end = following
            contrast = bool(_CONTRAST.match(text[next_start:next_end]))
            for s, e, kind in local.stance:
                if kind != "dispute" or not next_start <= s < next_end:
                    continue
                if contrast or _CONTESTED.match(text[e : e + 40]):
                    stance.append((base + s, base + e, kind))
        hedges = [(s, e) for s, e, kind in stance if kind == "hedge"]
        stance = [
            c for c in stance if c[2] != "confirmation" or not any(c[0] < e and s < c[1] for s, e in hedges)
        ]
        cues.extend(stance)
        source: Span | None = None
        source_resolved: str | None = None
        if chosen is not None and chosen[0].source is not None:
            attribution, owner, owner_base = chosen
            s, e = attribution.source  # type: ignore[misc]
            source = Span(owner_base + s, owner_base + e, owner.local.text[s:e])
            source_resolved = owner.resolved.get(s)
        body = self.article.body
        cue_objects = tuple(Cue(s, e, body[s:e], kind) for s, e, kind in sorted(set(cues)))
        label, reason = suggested_label_for(cue_objects, source, source_resolved, labels)
        return Suggestion(
            index, claim.start, claim.end, body[claim.start : claim.end],
            cue_objects, source, source_resolved, label, reason,
        )  # fmt: skip

    def _speaker(self, index: int, quote: _Quote) -> tuple[_Attribution, _Resolved, int] | None:
        """Who a quotation is attributed to, with the paragraph that says so.

        A paragraph that opens with a quotation attributed nowhere in it
        continues the speaker of the previous paragraph (news convention).
        """
        resolved = self._resolve(index)
        if quote.speaker is not None:
            return resolved.local.attributions[quote.speaker], resolved, self.article.paragraph_starts[index]
        if quote.open_mark != 0 or index == 0:
            return None
        if any(not a.inside_quote for a in resolved.local.attributions):
            return None
        previous = self._resolve(index - 1)
        candidates = [a for a in previous.local.attributions if not a.inside_quote and a.source is not None]
        if not candidates:
            return None
        return candidates[-1], previous, self.article.paragraph_starts[index - 1]

    @staticmethod
    def _next_sentence(local: _Local, after: int) -> tuple[int, int] | None:
        starts = [s for s in local.sentences if s >= after]
        if not starts:
            return None
        begin = starts[0]
        following = [s for s in local.sentences if s > begin]
        return begin, following[0] if following else len(local.text)

    def sources_near(self, paragraph: int, reach: int = 3) -> list[str]:
        """Source phrases and resolved names in the paragraphs around `paragraph`, nearest first."""
        order = [paragraph]
        for step in range(1, reach + 1):
            order += [
                p for p in (paragraph - step, paragraph + step) if 0 <= p < len(self.article.paragraphs)
            ]
        found: list[str] = []
        for index in order:
            resolved = self._resolve(index)
            local = resolved.local
            for attribution in local.attributions:
                if attribution.source is None:
                    continue
                phrase = " ".join(local.text[attribution.source[0] : attribution.source[1]].split())
                name = resolved.resolved.get(attribution.source[0])
                candidate = name if phrase.lower() in _PRONOUNS else phrase
                if candidate and candidate not in found:
                    found.append(candidate)
            for mention in local.mentions:
                plain = _strip_titles(mention.name)
                if mention.strong and plain not in found:
                    found.append(plain)
        return found


def suggested_label_for(
    cues: Iterable[Cue], source: Span | None, resolved: str | None, labels: Iterable[str] | None = None
) -> tuple[str | None, str]:
    """The suggested label and why. The rule, in order:

    1. a dispute cue (a denial, "not true", "conflicting reports"), in the claim
       or in the next sentence when that one contests it -> disputed;
    2. a hedge ("unconfirmed", "there is some uncertainty", "reportedly",
       "are believed to") -> disputed (the article reports doubt);
    3. a confirmation ("it is now confirmed", "confirmed") -> confirmed;
    4. a source found (or a pronoun resolved) -> confirmed;
    5. no cue at all and no source -> unattributed;
    6. otherwise (a cue whose source was not found) -> no suggestion.

    A label the schema does not have is never suggested (None).
    """
    cues = list(cues)
    kinds = {cue.kind for cue in cues}
    first = {cue.kind: cue.text for cue in reversed(cues)}
    if "dispute" in kinds:
        label, reason = "disputed", f"dispute cue “{first['dispute']}”"
    elif "hedge" in kinds:
        label, reason = "disputed", f"hedge “{first['hedge']}”"
    elif "confirmation" in kinds:
        label, reason = "confirmed", f"confirmation “{first['confirmation']}”"
    elif source is not None and (source.text.lower() not in _PRONOUNS or resolved):
        label, reason = "confirmed", "attributed, nothing contests it"
    elif not cues and source is None:
        label, reason = "unattributed", "no attribution cue or source"
    else:
        return None, "cues but no source found"
    allowed = set(labels) if labels is not None else None
    if allowed is not None and label not in allowed:
        return None, f"{reason} (the schema has no {label!r} label)"
    return label, reason


def suggestion_lines(suggestion: Suggestion, width: int = 100) -> list[str]:
    """A suggestion as plain text lines for `annotate suggest` (control characters made visible)."""
    from annotate.text import printable

    text = printable(" ".join(suggestion.text.split()))
    if len(text) > width - 3:
        text = text[: width - 4] + "…"
    head = f"¶{suggestion.paragraph + 1} [{suggestion.start}:{suggestion.end}] {suggestion.label or '—'}"
    lines = [f"{head}  ({suggestion.reason})", f"   {text}"]
    if suggestion.source is not None:
        source = f'   source: "{printable(suggestion.source.text)}" [{suggestion.source.start}:{suggestion.source.end}]'
        if suggestion.source_resolved:
            source += f" → {printable(suggestion.source_resolved)} (resolved)"
        lines.append(source)
    if suggestion.cues:
        cues = ", ".join(f"{printable(c.text)} {c.kind} [{c.start}:{c.end}]" for c in suggestion.cues)
        lines.append(f"   cues: {cues}")
    return lines


_ARTICLES: OrderedDict[tuple[str, str], ArticleAttribution] = OrderedDict()


def attribution_for(article: Article) -> ArticleAttribution:
    """The (cached) detector state for an article; a few articles are kept."""
    key = (article.article_id, article.sha256)
    found = _ARTICLES.get(key)
    if found is None:
        found = ArticleAttribution(article)
        _ARTICLES[key] = found
        while len(_ARTICLES) > 8:
            _ARTICLES.popitem(last=False)
    else:
        _ARTICLES.move_to_end(key)
    return found


def suggest_article(
    article: Article, claims: Iterable[Claim], labels: Iterable[str] | None = None
) -> list[Suggestion]:
    """A suggestion for each claim, in order."""
    detector = attribution_for(article)
    names = list(labels) if labels is not None else None
    return [detector.suggest(claim, names) for claim in claims]


def source_candidates(article: Article, claim: Claim | None = None, limit: int = 20) -> list[str]:
    """Sources to offer in the source modal: the suggestion first, then phrases nearby."""
    detector = attribution_for(article)
    paragraph = claim.paragraph if claim is not None else 0
    ranked: list[str] = []
    if claim is not None:
        suggested = detector.suggest(claim).source_text
        if suggested:
            ranked.append(suggested)
    for phrase in detector.sources_near(paragraph):
        if phrase not in ranked:
            ranked.append(phrase)
    return ranked[:limit]


# -- what annotators did with the suggestions ---------------------------------------------


@dataclass(frozen=True)
class Acceptance:
    """How one annotator's final decisions compare with what was suggested."""

    annotator: str
    claims: int  # labelled claims whose decision recorded a suggestion
    label_suggested: int
    label_accepted: int
    source_suggested: int
    source_accepted: int
    accept_key: int  # decisions made with the accept key

    @property
    def label_rate(self) -> float | None:
        """Share of suggested labels the annotator kept (None when none were suggested)."""
        return self.label_accepted / self.label_suggested if self.label_suggested else None

    @property
    def source_rate(self) -> float | None:
        """Share of suggested sources the annotator kept (None when none were suggested)."""
        return self.source_accepted / self.source_suggested if self.source_suggested else None

    def as_json(self) -> dict[str, Any]:
        """The figures as a JSON object."""
        return {
            "claims": self.claims,
            "label_suggested": self.label_suggested,
            "label_accepted": self.label_accepted,
            "label_rate": self.label_rate,
            "source_suggested": self.source_suggested,
            "source_accepted": self.source_accepted,
            "source_rate": self.source_rate,
            "accept_key": self.accept_key,
        }


def acceptance_rate(events: Iterable[Event]) -> dict[str, Acceptance]:
    """Per annotator: of the labelled claims that recorded a suggestion, how many kept it.

    Counts each annotator's final decision per claim (the fold: last event per
    span; `clear` removes). A decision counts when it is a `label` event with a
    label and a `suggested` field. The label is accepted when it equals the
    suggested label; the source when it equals the suggested source after
    `normalise_source`.
    """
    state: dict[tuple[str, str, int, int], Event] = {}
    for event in events:
        key = (event["annotator"], event["article_id"], event["start"], event["end"])
        if event["op"] == "clear":
            state.pop(key, None)
        else:
            state[key] = event
    counts: dict[str, list[int]] = {}
    for (annotator, *_), event in state.items():
        suggested = event.get("suggested")
        if event.get("label") is None or not isinstance(suggested, dict):
            continue
        row = counts.setdefault(annotator, [0] * 6)
        row[0] += 1
        if suggested.get("label"):
            row[1] += 1
            row[2] += event["label"] == suggested["label"]
        if suggested.get("source"):
            row[3] += 1
            row[4] += normalise_source(event.get("source") or "") == normalise_source(suggested["source"])
        row[5] += bool(suggested.get("accepted"))
    return {name: Acceptance(name, *counts[name]) for name in sorted(counts)}


ACCEPTANCE_COLUMNS = [
    "annotator",
    "claims",
    "label_suggested",
    "label_accepted",
    "label_rate",
    "source_suggested",
    "source_accepted",
    "source_rate",
    "accept_key",
]
"""Columns of the acceptance table, for a status report section."""


def _rounded(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)  # four decimals, as the agreement report


def acceptance_table(rates: Mapping[str, Acceptance]) -> list[list[str | int | float | None]]:
    """One row per annotator, in `ACCEPTANCE_COLUMNS` order (rates are None when nothing was suggested)."""
    return [
        [
            rate.annotator,
            rate.claims,
            rate.label_suggested,
            rate.label_accepted,
            _rounded(rate.label_rate),
            rate.source_suggested,
            rate.source_accepted,
            _rounded(rate.source_rate),
            rate.accept_key,
        ]
        for rate in rates.values()
    ]
