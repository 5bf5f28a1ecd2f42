"""The fixture of the browser tests (the web UI, the release pages): one headless Chromium per test module
(Debian's, driven by Playwright); a conftest imports it."""

from __future__ import annotations

import pytest

from tests.helpers.browser import launch


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()
