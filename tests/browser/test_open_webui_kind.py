"""A person's chat through real pods: Chromium -> router pod -> Open WebUI pod -> Keycloak pod, and -> LiteLLM pod.

On a kind cluster where ``playbooks/site.yml`` converged the keycloak, postgres, litellm and open_webui waves with
tests/browser/open_webui_kind.yml (molecule's kind scenario, or ``python tests/browser/open_webui_kind.py
converge``). Open WebUI is the image built from its PyPI release (hack/images/open-webui); LiteLLM serves two
``mock_response`` models with a price per token; Open WebUI forwards the signed-in person's e-mail
(X-OpenWebUI-User-Email) and LiteLLM charges the call to that customer (litellm_user_header_mappings).

- a person signs in through Keycloak and lands in Open WebUI signed in, picks a model, chats, switches models in the
  same conversation and uploads a CSV; LiteLLM's spend log holds both models' calls under their e-mail;
- a person whose tier's budget is tiny is refused once it is spent, with LiteLLM's refusal in the chat, while
  another still chats; put in the bigger tier's Keycloak group, and after a run of playbooks/portal_users.yml,
  they chat again;
- the same person's tier does not grant mock-beta: picking it, she is refused in the chat (the litellm role's
  model-access hook, 403 "Model access denied"); in the bigger tier, mock-beta answers her.

People are new on every run (a suffix), so the tests run again on the same cluster. Screenshots:
tests/output/browser/open_webui/. Run: ``hack/pytest.sh tests/browser/test_open_webui_kind.py`` (docs/open-webui.md, "On kind").
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from helpers.paths import REPO
from browser.chromium import chromium_trusting, on_login_page, sign_in
from browser.kind_stack import DOMAIN, INGRESS_ADDRESS
from browser.open_webui_kind import CHAT_URL, OpenWebUIKind, resolve_route_hosts

SHOTS = REPO / "tests" / "output" / "browser" / "open_webui"
RUN = time.strftime("%H%M%S")
PASSWORD = "chat-pass-1"
ALPHA, BETA = "ALPHA-REPLY", "BETA-REPLY"
# LiteLLM's refusals of a spent customer budget (litellm/proxy/auth/auth_checks.py _check_end_user_budget,
# litellm BudgetExceededError's "Budget has been exceeded!", v1.104.2), as Open WebUI shows them in the chat.
REFUSAL = re.compile(r"(Budget has been exceeded|ExceededBudget)", re.I)
# The litellm role's model-access hook (roles/litellm/templates/model_access.py): a model the person's tier does not
# grant, refused with 403 and this message, as Open WebUI shows it in the chat.
MODEL_REFUSAL = re.compile(r"Model access denied: [^ ]+ may not use the model mock-beta", re.I)
TIMES = {}


@pytest.fixture(scope="module")
def platform():
    resolve_route_hosts()
    stack = OpenWebUIKind()
    stack.sso.start_router()  # with the Routes the roles applied: chat. and litellm. among them
    people = {"cleo": "chat-plus", "ana": "chat-basic", "ben": "chat-plus"}
    for name, group in people.items():
        stack.add_person(name + RUN, PASSWORD, [group])
    status, recap, output = stack.portal_users()
    assert status == 0, "portal_users.yml failed: %s\n%s" % (recap, output[-4000:])
    yield stack
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "times.json").write_text(json.dumps(TIMES, indent=1, sort_keys=True))


@pytest.fixture(scope="module")
def browser(platform, tmp_path_factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    home = tmp_path_factory.mktemp("chromium-home")
    with chromium_trusting(platform.ca_path, home, DOMAIN, INGRESS_ADDRESS, "airgap-open-webui-test-ca") as chromium:
        yield chromium


def shot(page, name):
    page.screenshot(path=str(SHOTS / ("%s.png" % name)), full_page=True)


def email(name):
    return "%s%s@example.test" % (name, RUN)


def signed_in(browser, name, step):
    """A new browser context: Open WebUI's sign-in page, its Keycloak button, Keycloak's form, back in Open WebUI."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(90_000)
    page.goto(CHAT_URL + "/")
    page.wait_for_url(re.compile(r".*/auth.*"))
    # No password form: Keycloak's button only (ENABLE_LOGIN_FORM false).
    assert page.locator("input[type=password]").count() == 0
    shot(page, "%s-1-open-webui-sign-in" % step)
    # Before anyone has signed in, Open WebUI first shows its onboarding splash ("Get started").
    if page.get_by_role("button", name="Get started").is_visible():
        page.get_by_role("button", name="Get started").click()
    page.get_by_role("button", name="Continue with Keycloak").click()
    page.wait_for_load_state("networkidle")
    assert on_login_page(page, DOMAIN), "not Keycloak's form: %s" % page.url
    sign_in(page, name + RUN, PASSWORD)
    page.wait_for_url(re.compile(r"^%s/(c/.*)?$" % re.escape(CHAT_URL)))
    page.locator("#chat-input").wait_for(state="visible")
    dismiss_whats_new(page)
    shot(page, "%s-2-signed-in" % step)
    return page


def dismiss_whats_new(page):
    """Open WebUI's "What's new" dialog, shown to a new person once."""
    button = page.get_by_role("button", name="Okay, Let's Go!")
    try:
        button.wait_for(state="visible", timeout=5_000)
    except PlaywrightTimeout:
        return
    button.click()


def pick_model(page, model):
    page.locator("button[id^=model-selector-][id$=-button]").first.click()
    page.locator("#model-search-input").fill(model)
    page.get_by_role("option", name=re.compile(re.escape(model))).first.click()
    # The selector's button names the model now (Selector.svelte: aria-label "Selected model: ...").
    page.locator("button[id^=model-selector-][aria-label='Selected model: %s']" % model).first.wait_for()


def send(page, text, expect, count=1):
    """Type and send ``text``; wait until ``expect`` (a string or a pattern) shows ``count`` times in the chat."""
    page.locator("#chat-input").click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    pattern = expect if isinstance(expect, re.Pattern) else re.compile(re.escape(expect))
    page.wait_for_function("([source, count]) => (document.body.innerText.match(new RegExp(source, 'gi')) || [])"
                           ".length >= count", arg=[pattern.pattern, count], timeout=180_000)


def test_sign_in_pick_chat_switch_models_upload_a_csv_charged_to_the_person(platform, browser, tmp_path):
    started = time.monotonic()
    page = signed_in(browser, "cleo", "chat")
    pick_model(page, "mock-alpha")
    send(page, "Hello alpha", ALPHA)
    shot(page, "chat-3-alpha-answered")
    pick_model(page, "mock-beta")  # the same conversation, another model
    send(page, "And now beta?", BETA)
    assert "/c/" in page.url, "not one conversation: %s" % page.url
    shot(page, "chat-4-beta-answered-same-chat")
    csv = tmp_path / "quarterly-costs.csv"
    csv.write_text("team,quarter,cost\nresearch,Q1,1200\nsupport,Q1,300\n")
    # The message box's hidden file input (MessageInput.svelte), which its "Upload Files" menu entry clicks.
    page.locator("form input[type=file], input[type=file][multiple]").first.set_input_files(str(csv))
    page.get_by_text("quarterly-costs.csv").first.wait_for(state="visible")
    shot(page, "chat-5-csv-attached")
    send(page, "Summarise the attached CSV", BETA, count=2)
    # Open WebUI keeps the text it extracted, one "column: value" line per cell (retrieval/loaders/main.py).
    extracted = platform.uploaded_text(email("cleo"), "quarterly-costs.csv")
    assert "team: research" in extracted and "cost: 1200" in extracted, extracted
    rows = platform.spend_log(email("cleo"), at_least=3)
    models = [row[0] for row in rows]
    # alpha, beta, then beta again with the file (Open WebUI may add a retrieval-query call of the same model).
    assert models[:2] == ["mock-alpha", "mock-beta"] and models.count("mock-beta") >= 2, \
        "spend log of %s: %s" % (email("cleo"), rows)
    assert all(float(row[1]) > 0 for row in rows), rows
    shot(page, "chat-6-csv-answered")
    TIMES["chat_switch_upload_spend"] = round(time.monotonic() - started, 1)


def test_a_spent_budget_refuses_in_the_chat_another_person_chats_a_bigger_tier_lets_them_chat_again(platform, browser):
    started = time.monotonic()
    ana = signed_in(browser, "ana", "budget-ana")
    # Her tier (chat-basic) grants mock-alpha only: mock-beta is refused in the chat, and answers nothing.
    pick_model(ana, "mock-beta")
    send(ana, "May I use beta?", MODEL_REFUSAL)
    shot(ana, "budget-2b-ana-beta-refused-by-her-tier")
    assert ana.get_by_text(BETA).count() == 0, "mock-beta answered a person whose tier does not grant it"
    pick_model(ana, "mock-alpha")
    send(ana, "First question", ALPHA)  # allowed: nothing spent yet; the call costs more than ana's 0.001
    send(ana, "Second question", REFUSAL)
    shot(ana, "budget-3-ana-refused")
    assert ana.get_by_text(ALPHA).count() == 1, "a second answer came despite the spent budget"
    ben = signed_in(browser, "ben", "budget-ben")
    pick_model(ben, "mock-alpha")
    send(ben, "Am I still served?", ALPHA)
    shot(ben, "budget-4-ben-still-chats")
    platform.add_to_group("ana" + RUN, "chat-plus")
    status, recap, output = platform.portal_users()
    assert status == 0, "portal_users.yml failed: %s\n%s" % (recap, output[-4000:])
    send(ana, "After the raise?", ALPHA, count=2)
    shot(ana, "budget-5-ana-chats-again")
    # The bigger tier grants mock-beta too.
    pick_model(ana, "mock-beta")
    send(ana, "And beta now?", BETA)
    shot(ana, "budget-6-ana-beta-in-the-bigger-tier")
    assert platform.spend_log(email("ben")), "ben's call is not in the spend log"
    TIMES["budget_refusal_and_raise"] = round(time.monotonic() - started, 1)
