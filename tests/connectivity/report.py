"""The connectivity matrix as text: a summary per combination, the flows over all of them,
and, per combination, what each source may reach."""

from collections import defaultdict

MARKS = {"ok": "", "MISSING": "!", "EXCESS": "+", "exception": "~", "declared": "="}
LEGEND = ("legend: port = needed and allowed; !port = needed but DENIED; +port = allowed but not needed; "
          "~port = open by a declared exception (contract.OPEN_EGRESS); =port = inside a declared CIDR this pod needs")


def _table(header, rows):
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = "  ".join("%-*s" % (w, h) for w, h in zip(widths, header))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join("%-*s" % (w, c) for w, c in zip(widths, row)).rstrip() for row in rows]
    return "\n".join(out)


def summary(results, engine_name, seconds):
    rows = []
    for result in results:
        counts = defaultdict(int)
        for probe in result.probes:
            counts[probe.status] += 1
        needed = sum(1 for p in result.probes if p.needed)
        rows.append((result.name, len(result.probes), needed, counts["ok"], counts["MISSING"], counts["EXCESS"],
                     counts["exception"] + counts["declared"]))
    total = sum(r[1] for r in rows)
    head = "Connectivity contract: %d combinations, %d probes answered by %s in %.1f s" % (len(results), total, engine_name, seconds)
    return head + "\n" + _table(("combination", "probes", "needed", "as expected", "MISSING", "EXCESS", "declared/exceptions"), rows)


def flows(results):
    """Every connection needed or allowed in some combination, with how often."""
    seen = defaultdict(lambda: {"needed": 0, "allowed": 0, "statuses": set(), "origin": ""})
    for result in results:
        for probe in result.probes:
            if probe.needed or probe.verdict.allowed:
                entry = seen[(probe.source, probe.target, probe.port)]
                entry["needed"] += probe.needed
                entry["allowed"] += probe.verdict.allowed
                entry["statuses"].add(probe.status)
                entry["origin"] = entry["origin"] or probe.origin or probe.note
    rows = []
    for (source, target, port), entry in sorted(seen.items(), key=lambda item: (item[0][0], item[0][1], item[0][2])):
        status = ",".join(sorted(s for s in entry["statuses"] if s != "ok")) or "ok"
        rows.append((source, target, port, "%d/%d" % (entry["needed"], len(results)), "%d/%d" % (entry["allowed"], len(results)),
                     status, entry["origin"][:90]))
    return _table(("source", "destination", "port", "needed in", "allowed in", "verdict", "read from"), rows)


def matrix(result):
    """One combination: per source, the destinations and ports it may reach."""
    reach = defaultdict(lambda: defaultdict(list))
    sources = []
    for probe in result.probes:
        if probe.source not in sources:
            sources.append(probe.source)
        if probe.needed or probe.verdict.allowed:
            reach[probe.source][probe.target].append(MARKS[probe.status] + str(probe.port))
    rows = []
    for source in sources:
        cells = ["%s:%s" % (target, ",".join(ports)) for target, ports in sorted(reach[source].items())]
        rows.append((source, "  ".join(cells) or "-"))
    return "== %s\n%s" % (result.name, _table(("source", "reaches"), rows))


def failures(results):
    lines = []
    for result in results:
        for probe in result.failures:
            lines.append("%s: %s %s -> %s:%s (ingress %s, egress %s) %s" % (
                result.name, probe.status, probe.source, probe.target, probe.port,
                probe.verdict.ingress or "-", probe.verdict.egress or "-", probe.origin))
    return "\n".join(lines)
