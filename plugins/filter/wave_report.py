# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wave_report
short_description: Format the wave report of a site run
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Turns the list the waves append to (wave, component, objects, seconds) into
    the lines of a table, in wave order, followed by the Route URLs.
options:
  _input:
    description: The wave report entries.
    type: list
    elements: dict
    required: true
  routes:
    description:
      - The Routes of the platform as the C(apply_wave) action returns them (C(name), C(host), C(tls)); each is
        listed as C(https://<host>), or C(http://<host>) without TLS.
      - Entries with C(name) and C(url) instead (the action's O(links)) are listed after the Routes, in their order.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Print the wave report
  ansible.builtin.debug:
    msg: "{{ ansible_facts.dify_platform_wave_report | airgap.dify_platform.wave_report(ansible_facts.dify_platform_routes) }}"
"""

RETURN = r"""
_value:
  description: The lines of the report.
  type: list
  elements: str
"""


def wave_report(entries, routes=None):
    header = "%-5s %-18s %8s %9s" % ("wave", "component", "objects", "seconds")
    lines = [header]
    for entry in sorted(entries, key=lambda e: int(e["wave"])):
        lines.append("%-5s %-18s %8d %9.1f" % (entry["wave"], entry["component"], int(entry["objects"]), float(entry["seconds"])))
    routes = routes or []
    for route in sorted((r for r in routes if "host" in r), key=lambda r: r["name"]):
        scheme = "https" if route.get("tls") else "http"
        lines.append("route %-18s %s://%s" % (route["name"], scheme, route["host"]))
    for link in (r for r in routes if "url" in r):
        lines.append("link  %-18s %s" % (link["name"], link["url"]))
    return lines


class FilterModule:
    def filters(self):
        return {"wave_report": wave_report}
