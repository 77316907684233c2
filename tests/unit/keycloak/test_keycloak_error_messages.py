"""A token request answered by a proxy's HTML error page is quoted briefly (issue 17, item 13)."""

from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.auth import _oauth_error


def test_an_html_error_page_is_cut_to_a_short_tag_free_excerpt():
    page = "<html><head><title>502 Bad Gateway</title></head><body>%s</body></html>" % ("<p>nginx</p>" * 200)
    text = _oauth_error(page)
    assert text.startswith("502 Bad Gateway nginx nginx")
    assert "<" not in text and len(text) <= 163


def test_oauth_error_fields_are_quoted():
    assert _oauth_error('{"error": "invalid_grant", "error_description": "Invalid user credentials"}') == \
        "invalid_grant: Invalid user credentials"
