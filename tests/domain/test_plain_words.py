"""Plain words: the glossary flags the jargon of children's social care in what people write and offers the words a
family would use; readability comes from textstat; the meeting scan finds what is still flagged in every kind of
item (the finalise checklist and the exports count it)."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import pytest
import textstat  # type: ignore[import-untyped]

from app.domain.plain_words import (
    CHECKED_FIELDS,
    GLOSSARY_FILE,
    READABILITY_BANDS,
    FlaggedItem,
    Glossary,
    GlossaryError,
    band_of,
    flagged_items,
    glossary_for,
    load_glossary,
    read_glossary_file,
    readability,
)
from tests.support.conference_ops import ConferenceRoom

from ._support import CHAIR, MUM, SOCIAL_WORKER


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


def found(glossary: Glossary, text: str) -> list[tuple[str, str]]:
    """(term, words as written) of each flag, in order."""
    return [(flag.term, flag.text) for flag in glossary.find(text)]


# ---- the built-in glossary -----------------------------------------------------------------------------------


def test_the_glossary_has_at_least_80_terms_each_with_plain_words(glossary: Glossary) -> None:
    assert len(glossary) >= 80
    assert all(entry.plain.strip() for entry in glossary.entries)
    assert len({entry.key() for entry in glossary.entries}) == len(glossary.entries)


@pytest.mark.parametrize(
    "term",
    [
        "s47 enquiry",
        "LADO",
        "CIN",
        "PLO",
        "DA",
        "contact",
        "LAC",
        "threshold",
        "disguised compliance",
        "core group",
        "strategy discussion",
        "MASH",
        "EHCP",
        "CAMHS",
        "ICPC",
        "RCPC",
        "CP plan",
        "section 20",
        "SGO",
        "PEP",
        "IRO",
        "safeguarding",
        "escalation",
        "non-engagement",
        "presenting",
        "concerns were raised",
    ],
)
def test_the_terms_families_most_often_meet_are_there_and_flag_themselves(glossary: Glossary, term: str) -> None:
    assert found(glossary, f"We talked about {term} today.") == [(term, term)]


def test_no_plain_alternative_raises_a_flag_of_its_own(glossary: Glossary) -> None:
    # Offering the plain words must never leave the field flagged again.
    flagged = {entry.term: found(glossary, entry.plain) for entry in glossary.entries}
    assert {term: flags for term, flags in flagged.items() if flags} == {}


def test_every_form_of_every_entry_finds_its_own_entry(glossary: Glossary) -> None:
    wrong = {
        form: found(glossary, form)
        for entry in glossary.entries
        for form in glossary.forms_of(entry)
        if found(glossary, form) != [(entry.term, form)]
    }
    assert wrong == {}


def test_the_built_in_file_is_data_and_ships_with_the_package() -> None:
    assert GLOSSARY_FILE.name == "glossary.toml"
    assert GLOSSARY_FILE.parent.name == "domain"
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.toml" in pyproject["tool"]["setuptools"]["package-data"]["app.domain"]


# ---- finding terms -------------------------------------------------------------------------------------------

PROFESSIONAL_TEXT = (
    "Concerns were raised by the school on 3 March. A strategy discussion was held and the LADO was informed. "
    "An s47 enquiry found DA in the home; Mum presented as anxious. The children are CIN and the case is in PLO. "
    "Dad's non-engagement with CAMHS and disguised compliance are a worry. Contact with Dad is supervised. "
    "The core group will meet before the RCPC."
)


def test_each_term_of_a_sample_of_professional_text_is_flagged_with_its_plain_words(glossary: Glossary) -> None:
    flags = glossary.find(PROFESSIONAL_TEXT)

    assert [flag.text for flag in flags] == [
        "Concerns were raised",
        "strategy discussion",
        "LADO",
        "s47 enquiry",
        "DA",
        "presented as",
        "CIN",
        "PLO",
        "non-engagement",
        "CAMHS",
        "disguised compliance",
        "Contact",
        "core group",
        "RCPC",
    ]
    for flag in flags:
        assert PROFESSIONAL_TEXT[flag.start : flag.end] == flag.text
    plain = {flag.term: flag.plain for flag in flags}
    assert plain["s47 enquiry"] == "an investigation by children's services into whether a child is being harmed"
    assert plain["LADO"] == "the council officer who looks into worries about adults who work with children"
    assert plain["contact"] == "family time"
    assert plain["concerns were raised"] == "someone was worried"
    assert next(flag for flag in flags if flag.term == "DA").note.startswith("Better still, say what happened")


@pytest.mark.parametrize(
    ("text", "term", "as_written"),
    [
        ("A section 47 enquiry was started.", "s47 enquiry", "section 47 enquiry"),
        ("Police started s.47 enquiries.", "s47 enquiry", "s.47"),
        ("This is an S47.", "s47 enquiry", "S47"),
        ("Two section 47 enquiries this year.", "s47 enquiry", "section 47 enquiries"),
        ("The Local Authority Designated Officer was told.", "LADO", "Local Authority Designated Officer"),
        ("She was accommodated under s20.", "accommodated under section 20", "accommodated under s20"),
        ("non engagement with the plan", "non-engagement", "non engagement"),
        ("Non-Engagement with the plan", "non-engagement", "Non-Engagement"),
        ("ask the multi agency safeguarding hub", "MASH", "multi agency safeguarding hub"),
        ("It is in the Multi-Agency Safeguarding Hub.", "MASH", "Multi-Agency Safeguarding Hub"),
        ("the children\u2019s guardian said", "children's guardian", "children\u2019s guardian"),
        ("Both LADOs agreed.", "LADO", "LADOs"),
        ("the lado agreed", "LADO", "lado"),
        ("an interim care order", "ICO", "interim care order"),
        ("Strategy   discussion held", "strategy discussion", "Strategy   discussion"),
    ],
)
def test_variants_spellings_and_case_are_found(glossary: Glossary, text: str, term: str, as_written: str) -> None:
    assert found(glossary, text) == [(term, as_written)]


@pytest.mark.parametrize(
    "text",
    [
        "DAD came to the meeting today.",
        "Mum and Dad agree; they are adamant about Daisy.",
        "Mum made mash for tea.",
        "She is an ace at football.",
        "Mum and Dad are working together on this.",
        "Abe is her brother.",
        "The lace on her shoe; a placebo; the plot.",
        "CINEMA trip; the CPU; a SWAN; LAD; ICPCs2",
        "disclosures3 and s470 and xs47",
    ],
)
def test_no_false_positive_inside_longer_words_or_in_everyday_words(glossary: Glossary, text: str) -> None:
    assert found(glossary, text) == []


def test_acronyms_that_are_everyday_words_match_only_in_capitals(glossary: Glossary) -> None:
    assert found(glossary, "The MASH team; mum made mash.") == [("MASH", "MASH")]
    assert found(glossary, "Send him to SEN support; send a letter.") == [("SEN", "SEN")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a section 47 enquiry", [("s47 enquiry", "section 47 enquiry")]),
        ("the CIN plan was agreed", [("CIN plan", "CIN plan")]),
        (
            "the CP plan and the CP conference and CP",
            [("CP plan", "CP plan"), ("CP conference", "CP conference"), ("CP", "CP")],
        ),
        (
            "supervised contact at the contact centre",
            [("supervised contact", "supervised contact"), ("contact centre", "contact centre")],
        ),
        ("the LAC review", [("LAC review", "LAC review")]),
        ("the CPS and CPs", [("CPS", "CPS"), ("CPS", "CPs")]),
        (
            "safeguarding concerns about safeguarding",
            [("safeguarding concerns", "safeguarding concerns"), ("safeguarding", "safeguarding")],
        ),
    ],
)
def test_the_longest_match_wins_and_flags_never_overlap(
    glossary: Glossary, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(glossary, text) == expected
    flags = glossary.find(text)
    assert all(before.end <= after.start for before, after in itertools.pairwise(flags))


def test_a_text_without_jargon_has_no_flags(glossary: Glossary) -> None:
    assert glossary.find("") == []
    assert glossary.find("Gran will walk Mia to school every morning and stay for tea.") == []


def test_terms_in_lists_each_term_once_in_order(glossary: Glossary) -> None:
    assert glossary.terms_in("LADO, then CAMHS, then the lado again") == ("LADO", "CAMHS")


# ---- a deployment's own glossary -----------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_deployments_extra_file_adds_terms(tmp_path: Path) -> None:
    extra = write(
        tmp_path / "local.toml",
        '[[entry]]\nterm = "FAST team"\nvariants = ["Family Assessment and Support Team"]\n'
        'plain = "the family support team"\n',
    )

    glossary = load_glossary([extra])

    assert found(glossary, "Referred to the FAST team and the LADO.") == [("FAST team", "FAST team"), ("LADO", "LADO")]
    assert glossary.find("the family assessment and support team")[0].plain == "the family support team"
    assert len(glossary) == len(load_glossary()) + 1


def test_an_extra_entry_for_an_existing_term_replaces_it_in_any_case(tmp_path: Path) -> None:
    extra = write(tmp_path / "local.toml", '[[entry]]\nterm = "lado"\nplain = "the council\'s safeguarding officer"\n')

    glossary = load_glossary([extra])

    assert [(flag.term, flag.plain) for flag in glossary.find("The LADO was informed.")] == [
        ("lado", "the council's safeguarding officer")
    ]
    # Its forms are the new entry's: the old variants are gone with it.
    assert found(glossary, "the designated officer") == []
    assert len(glossary) == len(load_glossary())


def test_an_extra_file_can_switch_a_term_off_or_take_over_a_form(tmp_path: Path) -> None:
    extra = write(
        tmp_path / "local.toml",
        '[[entry]]\nterm = "contact"\nplain = "x"\noff = true\n\n'
        '[[entry]]\nterm = "s47"\nplain = "a child protection investigation"\n',
    )

    glossary = load_glossary([extra])

    assert found(glossary, "Contact is on Tuesdays.") == []
    assert found(glossary, "The s47 and the s47 enquiry") == [("s47", "s47"), ("s47 enquiry", "s47 enquiry")]


def test_later_files_win_over_earlier_ones(tmp_path: Path) -> None:
    first = write(tmp_path / "a.toml", '[[entry]]\nterm = "LADO"\nplain = "first"\n')
    second = write(tmp_path / "b.toml", '[[entry]]\nterm = "LADO"\nplain = "second"\n')

    assert load_glossary([first, second]).find("LADO")[0].plain == "second"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[entry]]\nterm = "X1"\n', "entry 1"),
        ('[[entry]]\nterm = "X1"\nplain = "a"\nvariant = ["y"]\n', "entry 1"),
        ('[[entry]]\nterm = "(X1)"\nplain = "a"\n', "must start and end with a letter or a digit"),
        ('[[entry]]\nterm = "X1"\nplain = "a"\n\n[[entry]]\nterm = "x1"\nplain = "b"\n', "twice"),
        ('[[entry]]\nterm = "X 1"\nplain = "a"\n\n[[entry]]\nterm = "X2"\nvariants = ["x-1"]\nplain = "b"\n', "both"),
        ('term = "X1"\n', "unknown keys"),
        ("[[entry]\n", "cannot be read"),
    ],
)
def test_a_broken_extra_file_is_refused_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    broken = write(tmp_path / "broken.toml", text)

    with pytest.raises(GlossaryError, match=message) as refused:
        load_glossary([broken])
    assert "broken.toml" in str(refused.value)


def test_a_missing_extra_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match="cannot be read"):
        load_glossary([tmp_path / "nowhere.toml"])


def test_the_glossary_for_a_deployment_is_read_once(tmp_path: Path) -> None:
    extra = write(tmp_path / "local.toml", '[[entry]]\nterm = "FAST team"\nplain = "the family support team"\n')

    assert glossary_for([extra]) is glossary_for((extra,))
    assert glossary_for([]) is not glossary_for([extra])


def test_the_built_in_file_reads_cleanly() -> None:
    assert len(read_glossary_file(GLOSSARY_FILE)) >= 80


# ---- readability ---------------------------------------------------------------------------------------------

EASY = "Gran will walk Mia to school. She will stay for tea. Mum will be home by six."
HARD = (
    "Notwithstanding the multi-agency safeguarding arrangements, the professional network's assessment "
    "concluded that parental capacity to demonstrate sustained, meaningful behavioural change remains "
    "fundamentally unevidenced, necessitating continued statutory intervention."
)


def test_readability_numbers_come_from_textstat() -> None:
    for text in (EASY, HARD, PROFESSIONAL_TEXT):
        result = readability(text)
        assert result is not None
        assert result.reading_ease == round(textstat.flesch_reading_ease(text), 1)
        assert result.grade == round(textstat.flesch_kincaid_grade(text), 1)
        assert result.words == textstat.lexicon_count(text)
        assert result.sentences == textstat.sentence_count(text)


def test_readability_is_said_in_plain_words() -> None:
    easy, hard = readability(EASY), readability(HARD)
    assert easy is not None and hard is not None

    assert easy.band in {"very easy to read", "easy to read"}
    assert easy.advice == ""
    assert hard.band == "very hard to read"
    assert hard.advice == "Shorter sentences and everyday words would make it easier."
    assert hard.summary == f"Very hard to read (reading ease {max(0, round(hard.reading_ease))} out of 100)."
    assert easy.summary.startswith(easy.band[0].upper() + easy.band[1:] + " (reading ease ")


def test_too_short_a_text_has_no_readability() -> None:
    assert readability("") is None
    assert readability("LADO informed") is None
    assert readability("The LADO was informed") is not None


@pytest.mark.parametrize(
    ("score", "words"),
    [
        (120, "very easy to read"),
        (90, "very easy to read"),
        (85, "easy to read"),
        (72, "fairly easy to read"),
        (65, "plain English"),
        (55, "fairly hard to read"),
        (40, "hard to read"),
        (10, "very hard to read"),
        (-50, "very hard to read"),
    ],
)
def test_the_bands_are_flesch_bands(score: float, words: str) -> None:
    assert band_of(score).words == words
    assert [band.min_score for band in READABILITY_BANDS] == sorted(
        (band.min_score for band in READABILITY_BANDS), reverse=True
    )


# ---- a meeting's words ---------------------------------------------------------------------------------------


def jargon_meeting() -> ConferenceRoom:
    """A meeting with jargon in one field of every kind of item the check reads, and one item with none."""
    room = ConferenceRoom()
    room.do(CHAIR, {"type": "add_child", "child_id": "mia", "name": "Mia", "age": 7})
    cards = [
        ("worries", "harm", "The LADO was informed."),
        ("working_well", "strength", "Gran walks Mia to school."),
        ("needs_to_happen", "next_step", "Mum to attend CAMHS."),
    ]
    for number, (column, kind, text) in enumerate(cards, start=1):
        room.do(
            SOCIAL_WORKER,
            {"type": "add_card", "card_id": f"card-{number}", "column": column, "kind": kind, "text": text},
        )
    room.do(
        SOCIAL_WORKER,
        {
            "type": "add_statement",
            "statement_id": "st-1",
            "who_is_worried": "The MASH",
            "behaviour": "Dad hits Mum when he drinks.",
            "impact": "Mia hides; DA frightens her.",
            "if_nothing_changes": "Mia could be hurt.",
        },
    )
    room.do(
        MUM,
        {
            "type": "set_family_view",
            "statement_id": "st-1",
            "base_version": 0,
            "agreement": "partly",
            "words": "It was one time, not an s47 thing.",
        },
    )
    room.do(
        SOCIAL_WORKER,
        {
            "type": "set_safety_goal",
            "statement_id": "st-1",
            "base_version": 0,
            "adults_will": "Keep Mia safe.",
            "how_long": "Until the RCPC.",
        },
    )
    room.do(
        SOCIAL_WORKER,
        {
            "type": "add_step",
            "step_id": "step-1",
            "what": "Refer Dad to a programme.",
            "how_we_know": "The IDVA will say.",
        },
    )
    room.do(
        SOCIAL_WORKER,
        {
            "type": "add_network_member",
            "member_id": "net-1",
            "name": "Gran",
            "agreed_to": "Supervise contact on Sundays.",
        },
    )
    room.do(
        SOCIAL_WORKER,
        {
            "type": "add_child_words",
            "voice_id": "v-1",
            "child_id": "mia",
            "house": "worries",
            "words": "I don't like the SW coming.",
            "shared": True,
        },
    )
    room.do(
        CHAIR,
        {
            "type": "record_decision",
            "child_id": "mia",
            "base_version": 0,
            "outcome": "child_protection_plan",
            "categories": ["emotional_abuse"],
            "reasons": "Threshold is met.",
        },
    )
    room.do(
        MUM,
        {
            "type": "set_decision_view",
            "child_id": "mia",
            "base_version": 0,
            "agreement": "disagree",
            "words": "We will do the PLO work.",
        },
    )
    room.do(
        CHAIR,
        {
            "type": "add_decision_note",
            "note_id": "note-1",
            "child_id": "mia",
            "kind": "dissent",
            "who": "Mum",
            "reason": "She says safeguarding was never needed.",
        },
    )
    room.do(CHAIR, {"type": "set_restricted", "entity": "step", "item_id": "step-1", "restricted": True})
    return room


def test_the_meeting_scan_finds_flagged_words_in_every_kind_of_item(glossary: Glossary) -> None:
    state = jargon_meeting().state

    assert flagged_items(state, glossary) == [
        FlaggedItem(entity="card", id="card-1", field="text", terms=("LADO",)),
        FlaggedItem(entity="card", id="card-3", field="text", terms=("CAMHS",)),
        FlaggedItem(entity="statement", id="st-1", field="who_is_worried", terms=("MASH",)),
        FlaggedItem(entity="statement", id="st-1", field="impact", terms=("DA",)),
        FlaggedItem(entity="statement", id="st-1", field="family_view.words", terms=("s47 enquiry",), own_words=True),
        FlaggedItem(entity="statement", id="st-1", field="goal.how_long", terms=("RCPC",)),
        FlaggedItem(entity="step", id="step-1", field="how_we_know", terms=("IDVA",), kept_from_family=True),
        FlaggedItem(entity="network_member", id="net-1", field="agreed_to", terms=("contact",)),
        FlaggedItem(entity="voice", id="v-1", field="words", terms=("SW",), own_words=True),
        FlaggedItem(entity="decision", id="mia", field="reasons", terms=("threshold",)),
        FlaggedItem(entity="decision", id="mia", field="family_view.words", terms=("PLO",), own_words=True),
        FlaggedItem(entity="decision_note", id="note-1", field="reason", terms=("safeguarding",)),
    ]


def test_the_scan_reads_every_kind_of_item_the_meeting_keeps_words_in() -> None:
    assert set(CHECKED_FIELDS) == {"card", "statement", "step", "network_member", "voice", "decision", "decision_note"}


def test_a_meeting_in_plain_words_has_nothing_flagged(glossary: Glossary) -> None:
    room = ConferenceRoom()
    room.do(SOCIAL_WORKER, {"type": "add_card", "column": "worries", "kind": "harm", "text": "Mia missed school."})

    assert flagged_items(room.state, glossary) == []
    assert flagged_items(ConferenceRoom().state, glossary) == []
