# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""Normalise Keycloak representations and compare only what the user declared.

Pure functions, no I/O. The rule everywhere: a key the user did not declare is
never compared, so a server default or a field Keycloak adds on its own never
shows up as a change; a key the user declared is compared in Keycloak's
canonical form:

- scalars as Keycloak stores attributes: ``True`` is ``"true"``, ``5`` is ``"5"``,
  and an absent value equals ``""`` (Keycloak drops empty attributes);
- lists of scalars as sets (``redirectUris``, ``webOrigins``, scopes, ...);
- dicts (``attributes``, mapper ``config``) key by key, declared keys only;
- protocol mappers by name (see :func:`canonical_client`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

POST_LOGOUT_REDIRECT_URIS = "post.logout.redirect.uris"
URI_SEPARATOR = "##"
SERVICE_ACCOUNT_SCOPE = "service_account"
MAPPER_KEYS = ("protocol", "protocolMapper")


def scalar(value):
    """The string Keycloak would store for a scalar."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_scalar_list(values):
    return all(not isinstance(item, (dict, list, tuple)) for item in values)


def same(declared, actual):
    """True when ``actual`` already has everything ``declared`` asks for.

    ``None`` in a declared dict means "not declared" and is skipped.
    """
    if isinstance(declared, dict):
        if actual is None:
            actual = {}
        if not isinstance(actual, dict):
            return False
        return all(same(value, actual.get(key)) for key, value in declared.items() if value is not None)
    if isinstance(declared, (list, tuple)):
        if actual is None:
            actual = []
        if not isinstance(actual, (list, tuple)):
            return False
        if _is_scalar_list(declared) and _is_scalar_list(actual):
            return set(scalar(item) for item in declared) == set(scalar(item) for item in actual)
        return len(declared) == len(actual) and all(same(d, a) for d, a in zip(declared, actual))
    if isinstance(actual, (dict, list, tuple)):
        return False
    return scalar(declared) == scalar(actual)


def changed_keys(declared, actual):
    """The top-level declared keys whose value differs, sorted."""
    actual = actual or {}
    return sorted(key for key, value in declared.items()
                  if value is not None and not same(value, actual.get(key)))


def project(declared, actual):
    """``actual`` cut down to the shape of ``declared``: what the diff's "before" shows."""
    if isinstance(declared, dict):
        if not isinstance(actual, dict):
            return copy.deepcopy(actual)
        return dict((key, project(value, actual.get(key)))
                    for key, value in declared.items() if value is not None)
    return copy.deepcopy(actual)


def display(value):
    """A stable view for diffs: lists of scalars sorted, so order never looks like a change."""
    if isinstance(value, dict):
        return dict((key, display(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        items = [display(item) for item in value]
        if _is_scalar_list(items):
            return sorted(items, key=scalar)
        return items
    return value


def split_uris(value):
    """``"a##b"`` (Keycloak's attribute form) to ``["a", "b"]``."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [item for item in str(value).split(URI_SEPARATOR) if item]


def canonical_mapper(mapper):
    """A protocol mapper without its id, config values as strings."""
    result = dict((key, mapper[key]) for key in MAPPER_KEYS if mapper.get(key) is not None)
    config = mapper.get("config")
    if config is not None:
        result["config"] = dict((key, scalar(value)) for key, value in config.items())
    return result


def canonical_client(rep):
    """A client representation in the form the compare and the diff use.

    Protocol mappers become a dict keyed by mapper name (so only declared
    mappers are compared); the post-logout redirect URIs attribute becomes a
    list (so it compares as a set); attribute values become strings.
    """
    if rep is None:
        return None
    result = copy.deepcopy(rep)
    attributes = result.get("attributes")
    if isinstance(attributes, dict):
        attributes = dict((key, scalar(value)) for key, value in attributes.items())
        if POST_LOGOUT_REDIRECT_URIS in attributes:
            attributes[POST_LOGOUT_REDIRECT_URIS] = split_uris(attributes[POST_LOGOUT_REDIRECT_URIS])
        result["attributes"] = attributes
    mappers = result.get("protocolMappers")
    if isinstance(mappers, list):
        result["protocolMappers"] = dict((m.get("name"), canonical_mapper(m)) for m in mappers)
    return result


def desired_client_view(desired, current):
    """The canonical desired client, completed with what Keycloak adds on its own.

    Keycloak attaches the ``service_account`` client scope to every client with
    service accounts enabled; unless the user declares that scope, keep it
    where the server put it instead of reporting (and undoing) a change.
    """
    view = canonical_client(desired)
    current = current or {}
    declared_scopes = set(view.get("defaultClientScopes") or []) | set(view.get("optionalClientScopes") or [])
    if view.get("defaultClientScopes") is not None and SERVICE_ACCOUNT_SCOPE not in declared_scopes \
            and SERVICE_ACCOUNT_SCOPE in (current.get("defaultClientScopes") or []):
        view["defaultClientScopes"] = [*view["defaultClientScopes"], SERVICE_ACCOUNT_SCOPE]
    return view


def client_changes(desired, current, purge_protocol_mappers=False):
    """Compare a desired client with the current one (both raw representations).

    Returns ``(keys, before, after)``: the changed top-level keys, and the
    before/after views for the diff (declared keys only, canonical form).
    """
    want = desired_client_view(desired, current)
    have = canonical_client(current) or {}
    keys = changed_keys(want, have)
    before = project(want, have)
    after = copy.deepcopy(want)
    if purge_protocol_mappers and want.get("protocolMappers") is not None:
        extra = sorted(set(have.get("protocolMappers") or {}) - set(want["protocolMappers"]))
        if extra:
            if "protocolMappers" not in keys:
                keys = sorted([*keys, "protocolMappers"])
            for name in extra:
                before["protocolMappers"][name] = have["protocolMappers"][name]
    return keys, display(before), display(after)


def realm_changes(desired, current):
    """Compare a desired realm with the current one: ``(keys, before, after)``."""
    keys = changed_keys(desired, current or {})
    return keys, display(project(desired, current or {})), display(copy.deepcopy(desired))


def scope_plan(want, have):
    """Which client scopes to remove and add, per type.

    ``want`` and ``have`` map ``"default"``/``"optional"`` to lists of names;
    a type missing from ``want`` (not declared) is left alone. Removals come
    first, so that a scope can move from one type to the other.
    """
    removals, additions = [], []
    for kind in ("default", "optional"):
        if want.get(kind) is None:
            continue
        wanted, current = set(want[kind]), set(have.get(kind) or [])
        removals.extend((kind, name) for name in sorted(current - wanted))
        additions.extend((kind, name) for name in sorted(wanted - current))
    return removals, additions


def mapper_plan(desired_mappers, current_mappers, purge=False):
    """Which protocol mappers to create, update, replace and delete.

    Both arguments are raw lists of mapper representations. Returns a dict of
    lists: ``create`` (desired), ``update`` ((desired, current) pairs whose
    declared config differs), ``replace`` (same, but the mapper type changed,
    which Keycloak cannot update in place) and ``delete`` (current mappers
    not declared, only when ``purge``).
    """
    current_by_name = dict((m.get("name"), m) for m in current_mappers or [])
    plan = {"create": [], "update": [], "replace": [], "delete": []}
    declared_names = set()
    for mapper in desired_mappers or []:
        name = mapper["name"]
        declared_names.add(name)
        current = current_by_name.get(name)
        if current is None:
            plan["create"].append(mapper)
        elif scalar(mapper.get("protocolMapper")) != scalar(current.get("protocolMapper")):
            plan["replace"].append((mapper, current))
        elif not same(canonical_mapper(mapper), canonical_mapper(current)):
            plan["update"].append((mapper, current))
    if purge:
        plan["delete"] = [m for name, m in sorted(current_by_name.items()) if name not in declared_names]
    return plan


def merged_mapper(desired, current):
    """The PUT body for a mapper update: the current mapper with the declared config on top."""
    body = copy.deepcopy(current)
    body.update(dict((key, value) for key, value in desired.items() if key != "config"))
    config = dict(current.get("config") or {})
    config.update(desired.get("config") or {})
    body["config"] = config
    return body
