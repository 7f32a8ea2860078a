"""Reading a PDF back as a person (its text) and as a printer (its first page as an image)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
A4 = 297 / 210


def pages_text(pdf: bytes) -> list[str]:
    """Each page's extracted text, every run of white space one space (a line break is where a line wrapped)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def first_page_png(pdf: bytes, name: str) -> Path:
    """The first page rendered by poppler's pdftoppm, kept in test-artifacts/ as `{name}-first-page.png` beside
    the PDF (`{name}.pdf`). scripts/ensure-test-services installs poppler-utils."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: run scripts/ensure-test-services (it installs poppler-utils)"
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    prefix = ARTIFACTS / f"{name}-first-page"
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(source), str(prefix)],
        check=True,
        timeout=60,
    )
    return prefix.with_suffix(".png")


def assert_printed_a4_page(png: Path) -> None:
    """A page of A4 proportions with something printed on it: dark type on white, not a blank sheet."""
    with Image.open(png) as image:
        width, height = image.size
        grey = image.convert("L")
        dark = sum(grey.histogram()[:128])
    assert abs(height / width - A4) < 0.01, (width, height)
    assert dark > 0.005 * width * height, f"the first page looks blank: {dark} dark pixels"
