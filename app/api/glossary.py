"""Plain words: the glossary of jargon and its plain alternatives, for the screens that flag it while people write."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.api.sessions import ServicesDep
from app.domain.plain_words import READABILITY_BANDS, READABILITY_MIN_WORDS, glossary_for

router = APIRouter(prefix="/api", tags=["glossary"])

CACHE_SECONDS = 600
"""The glossary holds no case data: browsers may keep it a while (it changes only when the server restarts)."""


class GlossaryTerm(BaseModel):
    term: str = Field(description="The usual way it is written, as the screens name it.")
    forms: list[str] = Field(
        description="Every way of writing it that is matched: the term and its variants (a plural 's' is matched "
        "without being listed)."
    )
    plain: str = Field(description="The words a family would use instead; the screens offer to put them in place.")
    note: str = Field(description="When the term also has an everyday meaning, or there is a better thing to write.")
    match_case: bool = Field(description="The forms written with capitals match only exactly as written.")


class ReadabilityBandOut(BaseModel):
    min_score: float | None = Field(description="The lowest Flesch reading ease in the band; null: no lower limit.")
    words: str = Field(description="The band in plain words: 'easy to read', 'fairly hard to read'...")
    advice: str


class GlossaryOut(BaseModel):
    """The merged glossary (built in, then the deployment's own files) and how the screens say readability.

    Matching rules (the screens and the server alike): whole words and phrases, never inside a longer word; any
    case unless `match_case`; spaces and hyphens alike inside a phrase, straight and curly apostrophes alike; a
    plural 's' included; read from the start, the longest form wins at each place, flags never overlap."""

    entries: list[GlossaryTerm]
    readability_bands: list[ReadabilityBandOut] = Field(
        description="Flesch reading ease bands, highest first: a score belongs to the first band it reaches."
    )
    readability_min_words: int = Field(description="Under this many words no reading ease is shown.")


@lru_cache(maxsize=8)
def glossary_out(files: tuple[Path, ...]) -> GlossaryOut:
    """What GET /api/glossary answers for a deployment with these extra glossary files; built once per process."""
    glossary = glossary_for(files)
    return GlossaryOut(
        entries=[
            GlossaryTerm(
                term=entry.term,
                forms=list(glossary.forms_of(entry)),
                plain=entry.plain,
                note=entry.note,
                match_case=entry.match_case,
            )
            for entry in glossary.entries
        ],
        readability_bands=[
            ReadabilityBandOut(
                min_score=band.min_score if band.min_score > float("-inf") else None,
                words=band.words,
                advice=band.advice,
            )
            for band in READABILITY_BANDS
        ],
        readability_min_words=READABILITY_MIN_WORDS,
    )


@router.get("/glossary")
async def get_glossary(services: ServicesDep, response: Response) -> GlossaryOut:
    """The glossary of children's social care jargon with the plain words to use instead, and the readability
    bands, for the screens to check what people write. No sign-in: it holds no case data."""
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return glossary_out(tuple(services.settings.glossary_files))
