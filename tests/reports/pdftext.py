"""Text and pictures of a PDF through poppler-utils (pdftotext, pdftoppm), as a reader sees it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} (poppler-utils) is missing")
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return found


def pdf_text(pdf: bytes, folder: Path) -> str:
    source = folder / "report.pdf"
    source.write_bytes(pdf)
    done = subprocess.run([_tool("pdftotext"), "-layout", str(source), "-"], capture_output=True, check=True,
                          timeout=60)
    return done.stdout.decode("utf-8")


def first_page_png(pdf: bytes, target: Path) -> Path:
    source = target.with_suffix(".pdf")
    source.write_bytes(pdf)
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(source),
                    str(target.with_suffix(""))], check=True, timeout=60)
    return target.with_suffix(".png")
