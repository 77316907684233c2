# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Python wheels for another machine: ``pip download`` for chosen Python versions and platforms.

``pip download --only-binary=:all: --python-version X --implementation cp --platform P ...``
resolves the requirements as that interpreter would and fetches only wheels, so
nothing has to be compiled behind the air gap (pip's documentation, "pip download",
options ``--platform``, ``--python-version``, ``--implementation``, ``--only-binary``).
One run per Python version, into one flat directory that ``pip install --no-index
--find-links`` reads.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import tempfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import BundleError


def requirements_text(requirements, requirement_files):
    """One requirements file from requirement strings and files (comments and blanks dropped)."""
    lines = []
    for path in requirement_files or []:
        try:
            with open(path) as handle:
                for line in handle:
                    line = line.split("#", 1)[0].strip()
                    if line:
                        lines.append(line)
        except OSError as exc:
            raise BundleError("cannot read the requirements file %s: %s" % (path, exc)) from exc
    lines.extend(r.strip() for r in requirements or [] if r.strip())
    if not lines:
        raise BundleError("no Python requirements to download wheels for")
    return "\n".join(lines) + "\n"


def download_command(python, requirements_path, dest, version, platforms, implementation="cp", extra_args=None):
    argv = [python, "-m", "pip", "download", "--disable-pip-version-check", "--no-input", "--only-binary=:all:",
            "--python-version", version, "--implementation", implementation, "--dest", dest,
            "--requirement", requirements_path]
    for platform in platforms:
        argv.extend(["--platform", platform])
    argv.extend(extra_args or [])
    return argv


def download(python, requirements, dest_dir, versions, platforms, implementation="cp", extra_args=None, env=None):
    """Download into a fresh directory next to dest_dir, then replace dest_dir; return the wheel names."""
    parent = os.path.dirname(dest_dir)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    tmp = tempfile.mkdtemp(prefix=".wheels-", dir=parent)
    try:
        req = os.path.join(tmp, "requirements.txt")
        with open(req, "w") as handle:
            handle.write(requirements)
        out = os.path.join(tmp, "wheels")
        os.makedirs(out)
        for version in versions:
            argv = download_command(python, req, out, version, platforms, implementation, extra_args)
            # These helpers take argv and env, no AnsibleModule: there is no run_command to call.
            # pylint: disable-next=ansible-bad-function
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, check=False)  # noqa: S603 - argv built here
            if proc.returncode != 0:
                raise BundleError("pip download for Python %s (%s) failed (rc %d): %s"
                                  % (version, ", ".join(platforms), proc.returncode,
                                     proc.stdout.decode("utf-8", "replace")[-2000:]))
        names = sorted(n for n in os.listdir(out) if n.endswith(".whl"))
        others = sorted(n for n in os.listdir(out) if not n.endswith(".whl"))
        if others:
            raise BundleError("pip download left files that are not wheels: %s" % ", ".join(others))
        if os.path.isdir(dest_dir):
            shutil.rmtree(dest_dir)
        os.replace(out, dest_dir)
        return names
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
