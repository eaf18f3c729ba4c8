"""The phone page shows the name guard's problems live, for the caption and for each alt text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_pwa import camera_jpeg, choose_photo, sign_in
from tests.lifecycle import Outing

pytestmark = pytest.mark.browser


def test_a_name_in_an_alt_text_is_shown_live_and_goes_when_reworded(
    context: Any, live: LiveServer, outing: Outing, tmp_path: Path, shots: Any
) -> None:
    page = context.new_page()
    sign_in(page, live, outing)
    choose_photo(page, camera_jpeg(tmp_path / "IMG_0002.jpg", size=(1600, 1200)))
    alt = page.get_by_label("Describe photo 1 for people who cannot see it")
    alt.wait_for()
    page.fill("#caption", "A brilliant morning on the lake")
    alt.fill("Ava Kh\u0430n paddling")  # a Cyrillic "а" in the surname
    page.wait_for_function(
        "() => [...document.querySelectorAll('#caption-problems li.error')]"
        ".some((li) => li.textContent.includes('description (alt text)') && li.textContent.includes('Ava Khan'))"
    )
    shots(page, "alt-text-name")
    alt.fill("Children paddling canoes")
    page.wait_for_function("() => document.querySelectorAll('#caption-problems li.error').length === 0")
