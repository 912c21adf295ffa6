"""The dashboard's browser fixtures (Debian's chromium, a scratch database) for /docs's test."""

from tests.dashboard.test_browser import browser, scratch_url  # noqa: F401
