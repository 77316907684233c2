"""The docs table of what each image built here changes from the upstream image (docs/kind-images.md)."""

from .recipe import Recipe

COLUMNS = ("version", "user", "paths", "entrypoint", "restricted_v2")
HEADER = ("| image | real or stand-in | upstream | built here | user | paths | entrypoint | restricted-v2 |\n"
          "|---|---|---|---|---|---|---|---|")


def _cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def differences_table(names, manifest=None):
    rows = [HEADER]
    for name in names:
        recipe = Recipe(name, manifest=manifest)
        diff = recipe.data["differences"]
        upstream = "<br>".join("%s:%s" % (recipe.manifest[e]["repository"], recipe.manifest[e]["version"])
                               for e in recipe.entries)
        rows.append("| %s | %s | %s | %s |" % (
            name, recipe.kind, upstream, " | ".join(_cell(recipe.expand(diff.get(col, ""))) for col in COLUMNS)))
    return "\n".join(rows)
