"""The record as its readers need it: a family, a records manager, a case-management system.

`record.py` turns a meeting (its state, its people, its facts and its hash chain) into one `Record` model, in
plain words and with names put to ids; the family's copy is built from what `meeting_for` lets a family see. The
exports render that one model: JSON as it is (its JSON Schema, `schema.py`, is published in docs/), Markdown
(`markdown.py`) and an accessible PDF (`pdf.py`), both from Jinja2 templates in `templates/`.

This package presents the record: it reads app.domain and app.store, and nothing of app.api.
"""
