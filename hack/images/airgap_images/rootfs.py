"""A recipe's root filesystem: mmdebstrap of Debian packages, then the recipe's customize.sh.

* ``--variant=essential`` plus the recipe's packages: no apt, no init, no docs,
  man pages or locales (dpkg path excludes).
* The .deb files are kept in ``<cache>/images/debs`` and synced in and out, so
  a second image (or a rebuild) downloads nothing it already has.
* ``SOURCE_DATE_EPOCH`` fixes file times, so the same packages give the same tar.
* ``essential_hooks`` run between the essential packages and the recipe's
  (OpenJDK's postinst links its man page with update-alternatives, into
  /usr/share/man/man1, which the excludes leave out).
* Every path of ``writable`` is created group 0 and group-writable: an
  arbitrary UID with GID 0 (restricted-v2) can write there.
* The recipe's ``customize.sh`` runs last, with the root directory as ``$1``,
  ``INPUTS`` (the fetched inputs), ``VERSION`` and ``VERSION_BARE`` in its
  environment.
"""

import shlex
import subprocess
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
SECURITY = "http://deb.debian.org/debian-security"
EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*",
            "/usr/share/lintian/*")
# Where dpkg's record of the installed packages is written inside the tar (read back for the stamp).
PACKAGE_LIST = "/usr/share/airgap-dify-platform/packages.txt"


def sources(suite):
    return ["deb %s %s main" % (MIRROR, suite),
            "deb %s %s-updates main" % (MIRROR, suite),
            "deb %s %s-security main" % (SECURITY, suite)]


def writable_hook(paths):
    if not paths:
        return None
    quoted = " ".join('"$1"%s' % shlex.quote(p) for p in paths)
    return "mkdir -p %s && chgrp -R 0 %s && chmod -R g+rwX %s" % (quoted, quoted, quoted)


def command(recipe, out_tar, debs_dir, inputs_dir):
    """The mmdebstrap argv for ``recipe`` (a :class:`recipe.Recipe`)."""
    debs = shlex.quote(str(debs_dir))
    argv = ["mmdebstrap", "--variant=essential", "--mode=root", "--format=tar",
            "--include=" + ",".join(recipe.packages()),
            "--skip=essential/unlink",
            "--setup-hook=mkdir -p %s \"$1\"/var/cache/apt/archives/" % debs,
            "--setup-hook=sync-in %s /var/cache/apt/archives/" % debs]
    argv += ["--dpkgopt=path-exclude=%s" % path for path in EXCLUDES]
    # Run after the essential packages, before the recipe's: e.g. a directory a
    # maintainer script needs although its contents are excluded.
    argv += ["--essential-hook=%s" % hook for hook in recipe.data.get("essential_hooks") or []]
    argv += ["--customize-hook=sync-out /var/cache/apt/archives %s" % debs,
             "--customize-hook=rm -f \"$1\"/var/cache/apt/archives/*.deb",
             "--customize-hook=mkdir -p \"$1\"%s && dpkg-query --admindir=\"$1\"/var/lib/dpkg -W > \"$1\"%s"
             % (Path(PACKAGE_LIST).parent, PACKAGE_LIST)]
    hook = writable_hook(recipe.writable())
    if hook:
        argv.append("--customize-hook=" + hook)
    if recipe.data.get("customize"):
        subs = recipe.substitutions()
        env = "INPUTS=%s VERSION=%s VERSION_BARE=%s" % (
            shlex.quote(str(inputs_dir)), shlex.quote(subs["version"]), shlex.quote(subs["version_bare"]))
        argv.append("--customize-hook=env %s sh %s \"$1\"" % (env, shlex.quote(str(recipe.dir / recipe.data["customize"]))))
    argv += [recipe.data["suite"], str(out_tar), *sources(recipe.data["suite"])]
    return argv


def build(recipe, out_tar, debs_dir, inputs_dir, epoch, log):
    Path(debs_dir).mkdir(parents=True, exist_ok=True)
    env = {"SOURCE_DATE_EPOCH": str(epoch), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"}
    with open(log, "ab") as handle:
        result = subprocess.run(command(recipe, out_tar, debs_dir, inputs_dir), stdout=handle,
                                stderr=subprocess.STDOUT, env=env, check=False)
    if result.returncode != 0:
        tail = Path(log).read_text(errors="replace").splitlines()[-25:]
        raise RuntimeError("mmdebstrap for %s failed (log %s):\n%s" % (recipe.name, log, "\n".join(tail)))


def package_versions(tar_path, names):
    """{package: version} for ``names`` from the record inside the tar."""
    out = subprocess.run(["tar", "-xOf", str(tar_path), "." + PACKAGE_LIST], capture_output=True, text=True, check=True)
    versions = dict(line.split("\t", 1) for line in out.stdout.splitlines() if "\t" in line)
    return {name: versions.get(name, "") for name in names}
