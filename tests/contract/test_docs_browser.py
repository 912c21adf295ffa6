"""/docs in headless Chromium (Debian's) with the outside world cut off: an office network.

Every request to a host other than the service is aborted and recorded; the page must render
the operations and its Authorize dialog must log in with both OAuth2 flows (a staff password
and a partner's client credentials) against the real service on demo data, then call an
operation with the token ("Try it out" on `GET /api/v1/auth/me`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app.demo import DEMO_PASSWORD
from tests.dashboard import test_browser as dashboard
from tests.dashboard.test_browser import ROOT, Page, Service
from tests.test_schemathesis import free_port

# Skipped without Debian's chromium, as the dashboard's; its `browser` and `scratch_url`
# fixtures come through tests/contract/conftest.py.
pytestmark = dashboard.pytestmark


@pytest.fixture(scope="module")
def service(scratch_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`python -m app` on demo data (a busy CI machine may take minutes to start it)."""
    port = free_port()
    log = tmp_path_factory.mktemp("docs") / "server.log"
    env = os.environ | {
        "APP_ENV": "test",
        "DATABASE_URL": scratch_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "JWT_SIGNING_KEY": "docs-browser-signing-key-0123456789abcdef-0123",
        "ENCRYPTION_KEYS": "d1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "ENCRYPTION_ACTIVE_KEY_ID": "d1",
        "HMAC_KEY": "docs-browser-hmac-key-0123456789abcdef-0123",
        "DEMO_DATA": "1",
        "MIGRATE_ON_START": "1",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MINUTE": "1000000",
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            time.sleep(0.5)
        else:
            raise RuntimeError("service not ready: " + log.read_text())
        yield Service(url=base)
    finally:
        proc.terminate()
        proc.wait(timeout=120)


async def offline_docs(browser: Any, service: Service) -> tuple[Page, list[str]]:
    """/docs with every non-local request aborted (and recorded)."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    blocked: list[str] = []
    local = urlsplit(service.url).netloc

    async def only_local(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == local or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            blocked.append(url)
            await route.abort()

    await context.route("**/*", only_local)
    p = Page(await context.new_page())
    await p.page.goto(f"{service.url}/docs")
    return p, blocked


async def test_docs_render_every_tag_and_operation_offline(browser: Any, service: Service) -> None:
    p, blocked = await offline_docs(browser, service)
    page = p.page
    await page.locator("#operations-tag-dashboard").wait_for(timeout=180_000)
    tags = await page.eval_on_selector_all(
        ".opblock-tag", "els => els.map(e => e.getAttribute('data-tag'))"
    )
    assert len(tags) >= 25
    assert {"auth", "visits", "screening", "casework", "dashboard"} <= set(tags), tags
    # the phone's and the partners' tags, opened: their operations render
    for tag in ("auth", "visits", "sync", "incidents", "referrals"):
        await page.locator(f"#operations-tag-{tag}").click()
    for op_id in ("auth-issue_token", "visits-create_visit", "sync-sync_changes"):
        await page.locator(f"#operations-{op_id}").wait_for(timeout=60_000)
    ids = await page.eval_on_selector_all(".opblock", "els => els.map(e => e.id)")
    assert "operations-referrals-acknowledge_referral" in ids
    assert len(ids) >= 25
    # the tag's Chinese name is in its description, the name itself is ASCII
    assert (
        "监测摸排"
        in await page.locator(".opblock-tag-section")
        .filter(has_text="screening")
        .first.inner_text()
    )
    assert blocked == [], blocked
    p.assert_no_errors()


async def _authorize(page: Any, scheme: str, fields: dict[str, str]) -> None:
    await page.locator(".auth-wrapper .authorize").first.click()
    box = page.locator(".auth-container").filter(has_text=scheme)
    for label, value in fields.items():
        await box.locator(f"input#{label}").fill(value)
    await box.locator("button.authorize").click()
    try:
        # Swagger UI 5 labels the button "Remove authorization" (aria-label, which is its
        # accessible name); the text it shows is "Logout".
        logout = box.get_by_role("button", name="Remove authorization", exact=True)
        await logout.wait_for(timeout=60_000)
    except Exception as exc:  # the dialog's own error text says why
        raise AssertionError(await box.inner_text()) from exc
    assert await logout.inner_text() == "Logout"
    assert "Authorized" in await box.inner_text()


async def _who_am_i(page: Any) -> str:
    await page.locator("#operations-tag-auth").click()
    op = page.locator("#operations-auth-who_am_i")
    await op.locator(".opblock-summary").click()
    await op.locator("button.try-out__btn").click()
    await op.locator("button.execute").click()
    body = op.locator(".responses-wrapper .live-responses-table .response-col_description pre")
    await body.first.wait_for(timeout=30_000)
    return str(await body.first.inner_text())


@pytest.mark.parametrize(
    ("scheme", "fields", "who"),
    [
        (
            "StaffPassword",
            {"oauth_username": "admin", "oauth_password": DEMO_PASSWORD},
            '"role": "district_admin"',
        ),
        (
            "AgencyClientCredentials",
            {
                "client_id_clientCredentials": "demo-police",
                "client_secret_clientCredentials": "demo-police-secret",
            },
            '"agency": "police"',
        ),
    ],
)
async def test_authorize_works_with_both_grants_offline(
    browser: Any, service: Service, scheme: str, fields: dict[str, str], who: str
) -> None:
    p, blocked = await offline_docs(browser, service)
    page = p.page
    await page.locator("#operations-tag-auth").wait_for(timeout=180_000)
    await _authorize(page, scheme, fields)
    await page.locator(".modal-ux .close-modal").click()
    answer = await _who_am_i(page)
    assert who in answer, answer
    assert blocked == [], blocked
    p.assert_no_errors()
