"""The web-UI tests share one Chromium per module."""

from tests.helpers.browser_fixture import browser  # noqa: F401
