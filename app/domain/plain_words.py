"""Plain words: find the jargon and acronyms of children's social care in what people write, offer the words a
family would use instead, and estimate how easy a text is to read.

The glossary is data (glossary.toml beside this module, and any extra files a deployment lists in
Settings.glossary_files, in the same format). The screens check what people type with the same glossary and the
same rules (frontend/js/plain-words.js, fed by GET /api/glossary); the server uses this module to count what is
still flagged when the chair finalises and in the exports.

How a text is matched, here and in the browser alike:

- each entry's forms (its term and its variants) are found as whole words or phrases: never inside a longer word
  ("DA" is not found in "DAD" or "today"); a letter or digit right before or after a form stops it matching;
- in any case, except with `match_case`: then the forms written with capitals match only exactly as written;
- inside a form, a run of spaces or hyphens matches any run of spaces or hyphens, and a straight apostrophe a curly
  one; a plural "s" right after a form is part of the match;
- a text is read from the start; at each place the longest form that matches wins, and the next search starts
  after it, so flags never overlap.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import textstat  # type: ignore[import-untyped]
from pydantic import Field, StringConstraints, ValidationError, field_validator

from app.domain.items import Model

if TYPE_CHECKING:
    from app.domain.state import MeetingState

GLOSSARY_FILE = Path(__file__).with_name("glossary.toml")

Form = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Words = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
OptionalWords = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


class GlossaryError(ValueError):
    """A glossary file that cannot be used, with the file and the entry that is wrong."""


class GlossaryEntry(Model):
    """One term of the glossary, as written in a glossary file."""

    term: Form = Field(description="The usual way it is written; matched too.")
    variants: tuple[Form, ...] = Field(default=(), description="Other spellings and forms, all matched.")
    plain: Words = Field(description="The words a family would use instead.")
    note: OptionalWords = Field(
        default="", description="When the term also has an everyday meaning, or there is a better thing to write."
    )
    match_case: bool = Field(
        default=False, description="The forms written with capitals match only exactly as written ('MASH')."
    )
    off: bool = Field(default=False, description="Switches the term off (in a deployment's own file).")

    @field_validator("term", "variants")
    @classmethod
    def _whole_words(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        for form in (value,) if isinstance(value, str) else value:
            if not (form[0].isalnum() and form[-1].isalnum()):
                raise ValueError(f"{form!r} must start and end with a letter or a digit")
        return value

    def forms(self) -> tuple[str, ...]:
        return (self.term, *self.variants)

    def key(self) -> str:
        return term_key(self.term)


def term_key(term: str) -> str:
    """What makes two entries the same term: the term, in any case."""
    return " ".join(term.lower().split())


def form_key(form: str) -> str:
    """What makes two forms the same: in any case, spaces and hyphens alike, apostrophes alike."""
    return " ".join(re.sub(r"[\s\-]+", " ", form.replace("\u2019", "'")).lower().split())


class Flag(Model):
    """A term found in a text, where it is, and the plain words offered instead."""

    term: str = Field(description="The glossary's term (its usual spelling), whichever form was written.")
    start: int = Field(ge=0, description="Where the words as written start in the text (a str index).")
    end: int = Field(ge=0, description="Where they end (exclusive).")
    text: str = Field(description="The words as written.")
    plain: str
    note: str = ""


# ---- the glossary --------------------------------------------------------------------------------------------

_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
_SEPARATOR = r"[\s\-]+"
_APOSTROPHE = "['\u2019]"
_BEFORE = r"(?<![^\W_])"  # not right after a letter or digit (JS: (?<![\p{L}\p{N}]))
_AFTER = r"(?![^\W_])"  # not right before one (JS: (?![\p{L}\p{N}]))


def is_exact(form: str, match_case: bool) -> bool:
    """Whether this form matches only exactly as written: in a match_case entry, a form with a capital."""
    return match_case and any(char.isupper() for char in form)


def form_pattern(form: str, exact: bool) -> str:
    """The regular expression for one form, in the syntax Python's `re` and JavaScript's (u flag) share."""
    parts: list[str] = []
    index = 0
    while index < len(form):
        char = form[index]
        if char.isspace() or char == "-":
            while index < len(form) and (form[index].isspace() or form[index] == "-"):
                index += 1
            parts.append(_SEPARATOR)
            continue
        if char in "'\u2019":
            parts.append(_APOSTROPHE)
        elif char in _SYNTAX:
            parts.append("\\" + char)
        elif not exact and len(char.lower()) == 1 and len(char.upper()) == 1 and char.lower() != char.upper():
            parts.append(f"[{char.lower()}{char.upper()}]")
        else:
            parts.append(char)
        index += 1
    return "".join(parts) + ("s?" if exact else "[sS]?")


def _first_key(form: str) -> str:
    first = form[0]
    return first.lower() if len(first.lower()) == 1 else first


def _first_class(key: str) -> str:
    upper = key.upper()
    return f"[{key}{upper}]" if len(upper) == 1 and upper != key else key


class Glossary:
    """The merged glossary, ready to find its terms in a text. Built once (see glossary_for) and never changed."""

    def __init__(self, entries: Sequence[GlossaryEntry], forms: Sequence[tuple[str, GlossaryEntry]]) -> None:
        self.entries: tuple[GlossaryEntry, ...] = tuple(entries)
        self._forms_of: dict[str, tuple[str, ...]] = {}
        for form, entry in forms:
            self._forms_of[entry.key()] = (*self._forms_of.get(entry.key(), ()), form)
        # One capturing group per form, longest first. The forms are grouped by their first letter behind a
        # lookahead, so each place in a text tries only the forms that could start there (the same matches as one
        # long alternation, several times faster).
        by_first: dict[str, list[tuple[str, GlossaryEntry]]] = {}
        for form, entry in forms:
            by_first.setdefault(_first_key(form), []).append((form, entry))
        ordered: list[tuple[str, GlossaryEntry]] = []
        branches: list[str] = []
        for first in sorted(by_first):
            members = sorted(by_first[first], key=lambda pair: (-len(pair[0]), pair[0]))
            ordered += members
            alternatives = "|".join(
                f"({form_pattern(form, is_exact(form, entry.match_case))})" for form, entry in members
            )
            branches.append(f"(?={_first_class(first)})(?:{alternatives})")
        self._entry_of_group: tuple[GlossaryEntry, ...] = tuple(entry for _form, entry in ordered)
        self._pattern = re.compile(f"{_BEFORE}(?:{'|'.join(branches)}){_AFTER}" if ordered else r"(?!)")

    def __len__(self) -> int:
        return len(self.entries)

    def forms_of(self, entry: GlossaryEntry) -> tuple[str, ...]:
        """The forms this entry matches: its term and variants, less any a deployment's later entry took over."""
        return self._forms_of.get(entry.key(), ())

    def find(self, text: str) -> list[Flag]:
        """Every term in the text, in order: whole words, longest first at each place, never overlapping."""
        flags: list[Flag] = []
        for match in self._pattern.finditer(text):
            group = match.lastindex
            if group is None:  # pragma: no cover - every alternative is a group
                continue
            entry = self._entry_of_group[group - 1]
            flags.append(
                Flag(
                    term=entry.term,
                    start=match.start(),
                    end=match.end(),
                    text=match.group(0),
                    plain=entry.plain,
                    note=entry.note,
                )
            )
        return flags

    def terms_in(self, text: str) -> tuple[str, ...]:
        """The glossary terms found in the text, each once, in the order they first appear."""
        return tuple(dict.fromkeys(flag.term for flag in self.find(text)))


def read_glossary_file(path: Path) -> tuple[GlossaryEntry, ...]:
    """The entries of one glossary file (TOML: a list of [[entry]] tables), checked."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise GlossaryError(f"Glossary file {path}: cannot be read: {error}") from error
    unknown = set(data) - {"entry"}
    if unknown:
        raise GlossaryError(f"Glossary file {path}: unknown keys {sorted(unknown)}; entries go in [[entry]] tables")
    raw = data.get("entry", [])
    if not isinstance(raw, list):
        raise GlossaryError(f"Glossary file {path}: 'entry' must be a list of [[entry]] tables")
    entries: list[GlossaryEntry] = []
    for number, body in enumerate(raw, start=1):
        try:
            entries.append(GlossaryEntry.model_validate(body))
        except ValidationError as error:
            raise GlossaryError(f"Glossary file {path}, entry {number}: {error}") from error
    _check_unique(path, entries)
    return tuple(entries)


def _check_unique(path: Path, entries: Iterable[GlossaryEntry]) -> None:
    terms: dict[str, str] = {}
    forms: dict[str, str] = {}
    for entry in entries:
        if entry.key() in terms:
            raise GlossaryError(f"Glossary file {path}: the term {entry.term!r} is there twice")
        terms[entry.key()] = entry.term
        for form in entry.forms():
            other = forms.get(form_key(form))
            if other is not None and other != entry.term:
                raise GlossaryError(f"Glossary file {path}: {form!r} is a form of both {other!r} and {entry.term!r}")
            forms[form_key(form)] = entry.term


def merge_glossaries(*files: Sequence[GlossaryEntry]) -> Glossary:
    """Entries of several files, the later over the earlier: an entry for a term already there replaces it (in its
    place); `off` removes it; a form a later file gives to another term is no longer the earlier term's."""
    entries: dict[str, GlossaryEntry] = {}
    rank: dict[str, int] = {}
    for number, file_entries in enumerate(files):
        for entry in file_entries:
            entries[entry.key()] = entry
            rank[entry.key()] = number
    kept = [entry for entry in entries.values() if not entry.off]
    owner: dict[str, tuple[int, str, GlossaryEntry]] = {}
    for entry in sorted(kept, key=lambda e: rank[e.key()]):
        for form in entry.forms():
            owner[form_key(form)] = (rank[entry.key()], form, entry)
    forms = [(form, entry) for _rank, form, entry in owner.values()]
    return Glossary(kept, forms)


def load_glossary(extra_files: Iterable[Path] = ()) -> Glossary:
    """The built-in glossary with a deployment's extra files over it, in the order given."""
    return merge_glossaries(read_glossary_file(GLOSSARY_FILE), *(read_glossary_file(Path(p)) for p in extra_files))


@lru_cache(maxsize=8)
def _cached_glossary(files: tuple[Path, ...]) -> Glossary:
    return load_glossary(files)


def glossary_for(extra_files: Iterable[Path] = ()) -> Glossary:
    """The glossary for these extra files, read once per process (a change to a file needs a restart)."""
    return _cached_glossary(tuple(Path(p) for p in extra_files))


def find_jargon(text: str, glossary: Glossary) -> list[Flag]:
    return glossary.find(text)


# ---- readability ---------------------------------------------------------------------------------------------


class ReadabilityBand(Model):
    min_score: float = Field(description="The lowest Flesch reading ease in this band.")
    words: str = Field(description="The band in plain words.")
    advice: str = ""


_HARDER = "Shorter sentences and everyday words would make it easier."
READABILITY_BANDS: tuple[ReadabilityBand, ...] = (
    ReadabilityBand(min_score=90, words="very easy to read"),
    ReadabilityBand(min_score=80, words="easy to read"),
    ReadabilityBand(min_score=70, words="fairly easy to read"),
    ReadabilityBand(min_score=60, words="plain English"),
    ReadabilityBand(min_score=50, words="fairly hard to read", advice=_HARDER),
    ReadabilityBand(min_score=30, words="hard to read", advice=_HARDER),
    ReadabilityBand(min_score=float("-inf"), words="very hard to read", advice=_HARDER),
)
"""Flesch's own bands (90 and over: very easy ... under 30: very confusing), in plain words. The screens get the
same table from GET /api/glossary."""

READABILITY_MIN_WORDS = 3
"""Under this many words a reading ease says nothing."""


class Readability(Model):
    words: int
    sentences: int
    reading_ease: float = Field(description="Flesch reading ease (textstat): 100 and over is very easy; under 30 hard.")
    grade: float = Field(description="Flesch-Kincaid grade level (textstat): US school grade; add 5 for an age.")
    band: str = Field(description="The reading ease in plain words: 'easy to read', 'fairly hard to read'...")
    advice: str = ""
    summary: str = Field(description="One sentence for a person: 'Fairly easy to read (reading ease 72 out of 100).'")


def band_of(score: float) -> ReadabilityBand:
    return next(band for band in READABILITY_BANDS if score >= band.min_score)


def readability(text: str) -> Readability | None:
    """How easy the text is to read, by textstat's Flesch reading ease; None when it is too short to say."""
    words = int(textstat.lexicon_count(text))
    if words < READABILITY_MIN_WORDS:
        return None
    score = float(textstat.flesch_reading_ease(text))
    band = band_of(score)
    shown = max(0, min(100, round(score)))
    return Readability(
        words=words,
        sentences=int(textstat.sentence_count(text)),
        reading_ease=round(score, 1),
        grade=round(float(textstat.flesch_kincaid_grade(text)), 1),
        band=band.words,
        advice=band.advice,
        summary=f"{band.words[0].upper()}{band.words[1:]} (reading ease {shown} out of 100).",
    )


# ---- a meeting's words ---------------------------------------------------------------------------------------

STATEMENT_FIELDS = ("who_is_worried", "behaviour", "impact", "if_nothing_changes")
GOAL_FIELDS = ("adults_will", "child_will_experience", "professionals_will_see", "how_long")
STEP_FIELDS = ("what", "how_we_know")
CHECKED_FIELDS: dict[str, tuple[str, ...]] = {
    "card": ("text",),
    "statement": (*STATEMENT_FIELDS, "family_view.words", *(f"goal.{name}" for name in GOAL_FIELDS)),
    "step": STEP_FIELDS,
    "network_member": ("agreed_to",),
    "voice": ("words",),
    "decision": ("reasons", "family_view.words"),
    "decision_note": ("reason",),
}
"""The words of each kind of item that the plain-words check reads: what people write as sentences (the same
fields the screens check while people type). Names, dates and short labels are not checked."""

OWN_WORDS = frozenset({("statement", "family_view.words"), ("decision", "family_view.words"), ("voice", "words")})
"""The family's or the child's own words: flagged like the rest, but theirs to change, not the room's."""


class FlaggedItem(Model):
    """One field of one item whose words still hold jargon."""

    entity: str = Field(description="card, statement, step, network_member, voice, decision or decision_note.")
    id: str
    field: str = Field(
        description="The field, dotted for a part: 'behaviour', 'goal.adults_will', 'family_view.words'."
    )
    terms: tuple[str, ...] = Field(description="The glossary terms found, each once, in the order they appear.")
    own_words: bool = Field(default=False, description="The family's or the child's own words.")
    kept_from_family: bool = Field(default=False, description="Restricted: not on the family's copy.")


def _field_text(item: Any, path: str) -> str:
    value: Any = item
    for name in path.split("."):
        value = getattr(value, name, None)
        if value is None:
            return ""
    return value if isinstance(value, str) else ""


def _items(state: MeetingState) -> Iterable[tuple[str, Any]]:
    for card in state.cards():
        yield "card", card
    collections = (
        ("statement", state.statements),
        ("step", state.steps),
        ("network_member", state.network),
        ("voice", state.voices),
        ("decision", state.decisions),
        ("decision_note", state.decision_notes),
    )
    for entity, items in collections:
        for item in items:
            yield entity, item


def flagged_items(state: MeetingState, glossary: Glossary) -> list[FlaggedItem]:
    """Every field of every item on the record whose words are still flagged, in the order the board lists them
    (cards column by column, then statements, steps, network, children's words, decisions, decision notes)."""
    found: list[FlaggedItem] = []
    for entity, item in _items(state):
        for path in CHECKED_FIELDS[entity]:
            terms = glossary.terms_in(_field_text(item, path))
            if terms:
                found.append(
                    FlaggedItem(
                        entity=entity,
                        id=item.id,
                        field=path,
                        terms=terms,
                        own_words=(entity, path) in OWN_WORDS,
                        kept_from_family=bool(item.kept_from_family()),
                    )
                )
    return found
