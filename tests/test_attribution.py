"""Attribution detection on handwritten news sentences, the corpus-wide offset contract, acceptance."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.attribution import (
    ACCEPTANCE_COLUMNS,
    VERB_FORMS,
    ArticleAttribution,
    Suggestion,
    acceptance_rate,
    acceptance_table,
    inflections,
    source_candidates,
    suggested_label_for,
)
from annotate.corpus import Article, discover
from annotate.segment import Claim, default_claims
from tests.conftest import CORPUS

LABELS = ("confirmed", "disputed", "unattributed")


def article(*paragraphs: str) -> Article:
    """An article made of these paragraphs."""
    return Article("t", Path("t.md"), tuple(paragraphs))


def suggest_all(*paragraphs: str) -> list[Suggestion]:
    """A suggestion for each default claim."""
    made = article(*paragraphs)
    detector = ArticleAttribution(made)
    return [detector.suggest(claim, LABELS) for claim in default_claims(made)]


def only(*paragraphs: str) -> Suggestion:
    """The suggestion for a one-claim article."""
    [suggestion] = suggest_all(*paragraphs)
    return suggestion


def cue_texts(suggestion: Suggestion, *kinds: str) -> list[str]:
    """The cue texts of the given kinds, in order."""
    return [cue.text for cue in suggestion.cues if not kinds or cue.kind in kinds]


# -- lexicon ----------------------------------------------------------------------------


def test_inflections_regular_and_irregular() -> None:
    assert inflections("say") == ("say", "says", "said", "said", "saying")
    assert inflections("deny")[1:] == ("denies", "denied", "denied", "denying")
    assert inflections("admit")[2] == "admitted" and inflections("note")[-1] == "noting"
    assert "labelled" in inflections("label") and "labeled" in inflections("label")
    assert VERB_FORMS["told"] == "tell" and VERB_FORMS["criticised"] == "criticize"
    assert VERB_FORMS["editorialized"] == "editorialize"


@pytest.mark.parametrize(
    ("sentence", "verb"),
    [
        ("The minister said the border was closed.", "said"),
        ("The minister says the border is closed.", "says"),
        ("The minister, saying the border was closed, left.", "saying"),
        ("The minister told Reuters the border was closed.", "told"),
        ("The minister tells reporters the border is closed.", "tells"),
        ("The minister claimed the border was closed.", "claimed"),
        ("The army denied the border was closed.", "denied"),
        ("The minister stated that the border was closed.", "stated"),
        ("The minister added that the border was closed.", "added"),
        ("The group alleged that the border was closed.", "alleged"),
        ("The ministry confirmed that the border was closed.", "confirmed"),
        ("The minister warned that the border would close.", "warned"),
    ],
)
def test_reporting_verbs_in_all_their_forms(sentence: str, verb: str) -> None:
    suggestion = only(sentence)
    assert verb in cue_texts(suggestion, "verb")
    assert suggestion.source is not None and suggestion.source.text.lower().startswith("the")


@pytest.mark.parametrize(
    "sentence",
    [
        "The border adds to the tension in the region.",  # "adds to": not a report
        "Residents were told to leave their homes.",  # an order
        "Earlier reports of fighting were wrong.",  # a noun
        "The claim was made on Monday.",  # a noun
        "He hopes to negotiate peace.",  # "hope to": not a report
        "The U.S. State Department met on Friday.",  # a name, not the verb "state"
    ],
)
def test_words_that_are_not_attribution(sentence: str) -> None:
    assert cue_texts(only(sentence), "verb", "according_to") == []


# -- sources ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "source"),
    [
        ("A police spokesman said the road was reopened.", "A police spokesman"),
        ("But an aide to the governor said the road was reopened.", "an aide to the governor"),
        ("The road was reopened, the Associated Press reported.", "the Associated Press"),
        ("According to the Red Cross, the road was reopened.", "the Red Cross"),
        ("The road, according to local officials, was reopened.", "local officials"),
        ("Maria Lopez, a spokeswoman for the party, said the vote was fair.", "Maria Lopez"),
        ("The mayor of the city, Tom Hale, said the vote was fair.", "The mayor of the city"),
        ('"The vote was fair," said Tom Hale.', "Tom Hale"),
        ("“The vote was fair,” the election commission said on Tuesday.", "the election commission"),
        ("Witnesses in the capital on Friday said the vote was fair.", "Witnesses in the capital"),
        (
            "A statement on the party's website stated that the vote was fair.",
            "A statement on the party's website",
        ),
        ("Local media quoted the mayor as saying the vote was fair.", "the mayor"),
        ("Speaking by telephone, a senior commander said the town had fallen.", "a senior commander"),
    ],
)
def test_source_phrases(sentence: str, source: str) -> None:
    suggestion = only(sentence)
    assert suggestion.source is not None
    assert suggestion.source.text == source
    assert suggestion.source_resolved is None


def test_pronoun_source_is_resolved_not_found() -> None:
    first, second = suggest_all(
        "The mayor, Tom Hale, opened the bridge on Monday.",
        "He said the bridge had cost 2 million euros.",
    )
    assert second.source is not None and second.source.text == "He"
    assert second.source_resolved == "Tom Hale"
    assert second.source_text == "Tom Hale"  # what the source modal proposes
    assert first.source is None


def test_they_resolves_to_the_group_that_spoke_last() -> None:
    suggestions = suggest_all("The rebels said they had taken the airport. They deny attacking civilians.")
    assert suggestions[-1].source is not None and suggestions[-1].source.text == "They"
    assert suggestions[-1].source_resolved == "The rebels"


def test_unresolvable_pronoun_has_no_name() -> None:
    suggestion = only("He said the bridge was safe.")
    assert suggestion.source is not None and suggestion.source_resolved is None
    assert suggestion.source_text is None and suggestion.label is None


# -- quotations ------------------------------------------------------------------------


def test_straight_and_curly_quotes_are_cues() -> None:
    curly = only("“We will win,” the general said.")
    straight = only('"We will win," the general said.')
    for suggestion in (curly, straight):
        assert len(cue_texts(suggestion, "quote")) == 2
        assert suggestion.source is not None and suggestion.source.text == "the general"


def test_quote_spanning_sentences_attributes_every_sentence() -> None:
    # pysbd keeps a quoted passage whole; annotators split it. Each part must
    # still get the quotation marks and the speaker named after it.
    text = "“The army has left. The town is ours. We will hold it,” the rebel commander, Ali Musa, said."
    made = article(text)
    detector = ArticleAttribution(made)
    parts = [(0, 20), (21, 37), (38, len(text))]
    for start, end in parts:
        suggestion = detector.suggest(Claim(start, end, 0), LABELS)
        assert suggestion.source is not None and suggestion.source.text == "the rebel commander"
        kinds = [cue.kind for cue in suggestion.cues]
        assert kinds.count("quote") == 2 and "verb" in kinds
        assert any(cue.text == "said" for cue in suggestion.cues)
        assert suggestion.label == "confirmed"


def test_quote_continuing_after_attribution_keeps_the_speaker() -> None:
    first, second = suggest_all(
        '"We are ready," said Maria Lopez. "The people have spoken. They want change."'
    )
    assert first.source is not None and second.source is not None
    assert second.source.text == "Maria Lopez" and second.source == first.source


def test_quote_paragraph_after_attribution_paragraph() -> None:
    suggestions = suggest_all("The minister told VOA the claims were false.", "“They are lying. We know it.”")
    last = suggestions[-1]
    assert last.source is not None and last.source.text == "The minister"
    assert "told" in cue_texts(last, "verb")


# -- stance and the suggested label ------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "kind", "label"),
    [
        ("The report of a second attack is unconfirmed.", "hedge", "disputed"),
        ("There is some uncertainty about the number of dead.", "hedge", "disputed"),
        ("The figure could not be independently verified.", "hedge", "disputed"),
        ("The suspect allegedly fled to the north.", "hedge", "disputed"),
        ("It is now confirmed that the dam burst.", "confirmation", "confirmed"),
        ("The government denies that troops were sent.", "dispute", "disputed"),
        ("Rebels dismissed the reports as propaganda.", "dispute", "disputed"),
        ("The company said the figures were not true.", "dispute", "disputed"),
    ],
)
def test_stance_cues_and_labels(sentence: str, kind: str, label: str) -> None:
    suggestion = only(sentence)
    assert kind in {cue.kind for cue in suggestion.cues}
    assert suggestion.label == label


def test_denial_in_the_next_sentence_disputes_the_claim() -> None:
    claim, denial = suggest_all("The army said it had retaken the town. But rebels deny the claim.")
    assert claim.label == "disputed" and "deny" in cue_texts(claim, "dispute")
    assert denial.label == "disputed"


def test_unrelated_denial_does_not_dispute_the_previous_claim() -> None:
    claim, _ = suggest_all("Police said the man was arrested on Tuesday. He later denied the charges.")
    assert claim.label == "confirmed"


def test_no_cue_no_source_is_unattributed() -> None:
    suggestion = only("Prices rose by 4 percent in March.")
    assert suggestion.cues == () and suggestion.source is None
    assert suggestion.label == "unattributed"


def test_label_rule_respects_the_schema() -> None:
    suggestion = only("Prices rose by 4 percent in March.")
    assert suggested_label_for(suggestion.cues, None, None, ["SUPPORTS", "REFUTES"])[0] is None
    made = article("Prices rose by 4 percent in March.")
    [claim] = default_claims(made)
    assert ArticleAttribution(made).suggest(claim, ["SUPPORTS"]).label is None


# -- the offset contract over the whole corpus, and arbitrary text --------------------


def _check_offsets(made: Article, suggestion: Suggestion) -> None:
    body = made.body
    assert body[suggestion.start : suggestion.end] == suggestion.text
    for cue in suggestion.cues:
        assert body[cue.start : cue.end] == cue.text and cue.text
    if suggestion.source is not None:
        assert body[suggestion.source.start : suggestion.source.end] == suggestion.source.text


def test_offsets_hold_for_every_claim_of_the_corpus() -> None:
    files = discover([CORPUS])
    assert len(files) >= 8
    for item in files:
        made = item.load()
        detector = ArticleAttribution(made)
        for claim in default_claims(made):
            _check_offsets(made, detector.suggest(claim, LABELS))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=200).filter(lambda t: t.strip()), min_size=1, max_size=3), st.data()
)
def test_any_text_and_any_span_never_crash(paragraphs: list[str], data: st.DataObject) -> None:
    cleaned = tuple(" ".join(p.split()) for p in paragraphs if " ".join(p.split()))
    if not cleaned:
        return
    made = article(*cleaned)
    detector = ArticleAttribution(made)
    index = data.draw(st.integers(0, len(cleaned) - 1))
    base = made.paragraph_starts[index]
    start = data.draw(st.integers(0, len(cleaned[index]) - 1))
    end = data.draw(st.integers(start + 1, len(cleaned[index])))
    _check_offsets(made, detector.suggest(Claim(base + start, base + end, index), LABELS))
    detector.paragraph_marks(index)


def test_source_candidates_put_the_suggestion_first() -> None:
    made = article(
        "Officials said the dam held.", "A spokesman for the army, Ali Musa, said the road was open."
    )
    claims = default_claims(made)
    assert source_candidates(made, claims[1])[0] == "A spokesman for the army"
    assert "Officials" in source_candidates(made, claims[1])


# -- acceptance ---------------------------------------------------------------------------


def _event(annotator: str, start: int, label: str | None, **extra: object) -> dict[str, object]:
    event: dict[str, object] = {
        "annotator": annotator,
        "article_id": "a",
        "start": start,
        "end": start + 5,
        "op": "label",
        "label": label,
        "source": extra.pop("source", None),
    }
    event.update(extra)
    return event


def test_acceptance_rate_per_annotator() -> None:
    events = [
        _event(
            "ann", 0, "confirmed", suggested={"label": "confirmed", "source": "Reuters"}, source="reuters"
        ),
        _event("ann", 10, "disputed", suggested={"label": "confirmed", "source": "A Taliban official"}),
        _event(
            "ann", 20, "unattributed", suggested={"label": "unattributed", "source": None, "accepted": True}
        ),
        _event("ann", 30, "confirmed"),  # no suggestion recorded: not counted
        _event("bob", 0, "disputed", suggested={"label": "confirmed", "source": None}),
        _event(
            "bob", 0, "confirmed", suggested={"label": "confirmed", "source": None}
        ),  # changed mind: last wins
        _event("bob", 10, "confirmed", suggested={"label": "confirmed", "source": None}),
        {**_event("bob", 10, None), "op": "clear"},  # undone: not counted
    ]
    rates = acceptance_rate(events)
    ann, bob = rates["ann"], rates["bob"]
    assert (ann.claims, ann.label_suggested, ann.label_accepted) == (3, 3, 2)
    assert (ann.source_suggested, ann.source_accepted) == (2, 1)  # "reuters" == "Reuters"
    assert ann.accept_key == 1
    assert ann.label_rate == pytest.approx(2 / 3) and ann.source_rate == pytest.approx(0.5)
    assert (bob.claims, bob.label_accepted, bob.source_suggested) == (1, 1, 0)
    assert bob.source_rate is None
    assert bob.as_json()["label_rate"] == 1.0
    table = acceptance_table(rates)
    assert [row[0] for row in table] == ["ann", "bob"]
    assert dict(zip(ACCEPTANCE_COLUMNS, table[0], strict=True))["label_accepted"] == 2
