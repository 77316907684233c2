"""The mmdebstrap command a recipe gives."""

from airgap_images import rootfs
from airgap_images.recipe import Recipe


def test_command_for_a_recipe_with_writable_paths_and_a_customize_script(tmp_path):
    recipe = Recipe("keycloak")
    argv = rootfs.command(recipe, tmp_path / "out.tar", tmp_path / "debs", tmp_path / "inputs")
    assert argv[:4] == ["mmdebstrap", "--variant=essential", "--mode=root", "--format=tar"]
    assert "--include=" + ",".join(recipe.packages()) in argv
    hooks = [arg for arg in argv if arg.startswith("--customize-hook=")]
    assert any("chgrp -R 0" in hook and "/opt/keycloak" in hook for hook in hooks)
    assert "VERSION=%s" % recipe.version() in hooks[-1] and hooks[-1].endswith('customize.sh "$1"')
    assert argv[-4:-3] == [str(tmp_path / "out.tar")]
    assert argv[-3] == "deb http://deb.debian.org/debian trixie main"
    assert any("trixie-security" in arg for arg in argv[-3:])
    assert '--essential-hook=mkdir -p "$1"/usr/share/man/man1' in argv


def test_no_writable_hook_without_writable_paths():
    assert rootfs.writable_hook([]) is None
    hook = rootfs.writable_hook(["/data", "/var/log/my dir"])
    assert "'/var/log/my dir'" in hook and hook.startswith("mkdir -p")
