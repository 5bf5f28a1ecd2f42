"""The leaderboard page's test drives Chromium."""

from tests.helpers.browser_fixture import browser  # noqa: F401
