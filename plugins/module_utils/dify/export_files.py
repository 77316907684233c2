# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exported DSL files: stable names, a stable YAML form, and writes that happen only on change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import stat
import tempfile
import unicodedata

try:
    import yaml

    _SafeDumper = yaml.SafeDumper
except ImportError:  # pragma: no cover - dsl.py reports the missing library
    yaml = None
    _SafeDumper = object

FILE_SUFFIX = ".yml"
# <slug>-<first 8 hex digits of the app id>.yml: what this collection writes, and what prune may remove.
EXPORT_FILE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{8}\.yml$")
MAX_SLUG = 48


class _IndentedDumper(_SafeDumper):
    """Indent block sequences under their key, the way yamllint and most editors expect."""

    def increase_indent(self, flow=False, indentless=False):
        return super(_IndentedDumper, self).increase_indent(flow, False)


def _represent_str(dumper, value):
    # Prompts are multi-line: a literal block keeps them readable and diffable. PyYAML falls
    # back to a quoted scalar by itself when a literal block could not hold the value exactly.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


if yaml is not None:
    _IndentedDumper.add_representer(str, _represent_str)


def dump_yaml(data):
    """The one YAML form written to disk: sorted keys, indented lists, no line folding."""
    return yaml.dump(
        data, Dumper=_IndentedDumper, allow_unicode=True, sort_keys=True,
        default_flow_style=False, indent=2, width=1 << 30,
    )


def slugify(name):
    """An ASCII file-name stem for an app name ("Échos: v2" -> "echos-v2")."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:MAX_SLUG].strip("-") or "app"


def short_id(app_id):
    digits = re.sub(r"[^0-9a-f]", "", (app_id or "").lower())
    return (digits + "00000000")[:8]


def app_file_name(name, app_id):
    return "%s-%s%s" % (slugify(name), short_id(app_id), FILE_SUFFIX)


def _current(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(), stat.S_IMODE(os.stat(path).st_mode)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None
        raise


def write_file(path, content, mode=0o644, check_mode=False):
    """Write ``content`` (text) to ``path`` atomically when it or the mode differ; True when it did (or would)."""
    data = content.encode("utf-8")
    old, old_mode = _current(path)
    if old == data and old_mode == mode:
        return False
    if check_mode:
        return True
    directory = os.path.dirname(path) or "."
    handle, tmp = tempfile.mkstemp(prefix=".dify-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def ensure_directory(path, check_mode=False):
    """Create ``path`` (mode 0755) when missing; True when it did (or would)."""
    if os.path.isdir(path):
        return False
    if os.path.exists(path):
        raise OSError(errno.ENOTDIR, "not a directory", path)
    if not check_mode:
        os.makedirs(path, 0o755)
    return True


def stale_files(directory, keep):
    """Files in ``directory`` named like our exports that are not in ``keep`` (base names)."""
    if not os.path.isdir(directory):
        return []
    return sorted(
        os.path.join(directory, entry) for entry in os.listdir(directory)
        if EXPORT_FILE_RE.match(entry) and entry not in keep and os.path.isfile(os.path.join(directory, entry))
    )
