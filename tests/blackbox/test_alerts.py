"""deploy/qpayd-alerts.yml: its structure is a Prometheus rules file (read
with a small parser for the YAML subset it uses: stdlib only, promtool is not
installed), every expression is well formed as far as brackets and quotes
go, and every metric it names is one a running qpayd exports on /metrics
(`up` alone is Prometheus's own)."""
import os
import re

from conftest import ROOT

RULES = os.path.join(ROOT, "deploy", "qpayd-alerts.yml")
PROMETHEUS_OWN = {"up"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "bool", "offset", "inf", "nan"}
DURATION = re.compile(r"[0-9]+[smhdwy]")


def scalar(text):
    text = text.strip()
    if text.startswith('"'):
        assert text.endswith('"') and len(text) >= 2, text
        return text[1:-1]
    assert not text.startswith(("'", "|", ">", "&", "*", "[", "{")), text
    return text


def parse(path):
    """The rules file as nested dicts and lists: mappings indented by
    spaces, lists of mappings ("- key: value"), plain or double-quoted
    scalars, comments. Anything else fails."""
    lines = []
    with open(path) as f:
        for no, raw in enumerate(f.read().splitlines(), 1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            assert "\t" not in raw, f"line {no}: tab"
            lines.append((no, len(raw) - len(raw.lstrip(" ")), raw.strip()))
    doc, i = block(lines, 0, 0)
    assert i == len(lines), f"line {lines[i][0]}: not where it belongs"
    return doc


def block(lines, i, indent):
    """The mapping or list at indent starting at lines[i]; (it, next i)."""
    if lines[i][2].startswith("- "):
        out = []
        while i < len(lines) and lines[i][1] == indent and lines[i][2].startswith("- "):
            no, _, text = lines[i]
            # "- key: value": a mapping whose first line is this one, 2 deeper
            rest = list(lines)
            rest[i] = (no, indent + 2, text[2:])
            item, i = mapping(rest, i, indent + 2)
            out.append(item)
        return out, i
    return mapping(lines, i, indent)


def mapping(lines, i, indent):
    out = {}
    while i < len(lines) and lines[i][1] == indent and not lines[i][2].startswith("- "):
        no, _, text = lines[i]
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?", text)
        assert m, f"line {no}: not key: value: {text!r}"
        key, value = m.group(1), m.group(2)
        assert key not in out, f"line {no}: {key} twice"
        i += 1
        if value is None or value.strip() == "":
            assert i < len(lines) and lines[i][1] > indent, f"line {no}: {key} is empty"
            out[key], i = block(lines, i, lines[i][1])
        else:
            out[key] = scalar(value)
    assert i == len(lines) or lines[i][1] < indent, f"line {lines[i][0]}: bad indent"
    return out, i


def metric_names(expr):
    """The metric names an expression reads."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings
    e = re.sub(r"\{[^{}]*\}", "", e)                        # label matchers
    e = re.sub(r"\[[^\[\]]*\]", "", e)                      # ranges
    e = re.sub(r"\b(by|without|on|ignoring)\s*\([^()]*\)", "", e)  # grouping labels
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        after = e[m.end():].lstrip()
        if after.startswith("(") or m.group(0) in PROMQL_WORDS:
            continue  # a function or a keyword
        if re.fullmatch(r"[0-9]", e[m.start() - 1:m.start()] or "x"):
            continue  # a number's unit or exponent
        names.add(m.group(0))
    return names


def balanced(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    assert e.count('"') % 2 == 0, expr
    depth = []
    pairs = {")": "(", "}": "{", "]": "["}
    for c in e:
        if c in "({[":
            depth.append(c)
        elif c in pairs:
            assert depth and depth.pop() == pairs[c], expr
    assert not depth, expr


def exported(text):
    """Metric families on /metrics, with a histogram's series names."""
    names = set()
    for m in re.finditer(r"(?m)^# TYPE (\S+) (\S+)$", text):
        names.add(m.group(1))
        if m.group(2) == "histogram":
            names |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
    return names


def test_structure():
    doc = parse(RULES)
    assert list(doc) == ["groups"] and doc["groups"], doc
    seen = set()
    for g in doc["groups"]:
        assert set(g) == {"name", "rules"} and g["rules"], g
        for r in g["rules"]:
            assert set(r) == {"alert", "expr", "for", "labels", "annotations"}, r
            assert re.fullmatch(r"Qpayd[A-Za-z]+", r["alert"]) and r["alert"] not in seen, r
            seen.add(r["alert"])
            assert DURATION.fullmatch(r["for"]), r
            assert r["labels"] == {"severity": "critical"} or \
                r["labels"] == {"severity": "warning"}, r
            assert set(r["annotations"]) == {"summary", "description"}, r
            balanced(r["expr"])
            assert metric_names(r["expr"]), r
    assert len(seen) >= 10


def test_the_parser_refuses_what_it_does_not_know(tmp_path):
    """The structure check can fail: a broken file is refused."""
    import pytest
    for bad in ("groups:\n  - name: x\n    rules: [a, b]\n", "groups:\n\t- name: x\n",
                "groups:\n  - name: x\n    name: y\n", "groups:\n  - {name: x}\n"):
        p = tmp_path / "bad.yml"
        p.write_text(bad)
        with pytest.raises(AssertionError):
            parse(str(p))
    with pytest.raises(AssertionError):
        balanced('sum(rate(qpayd_x[5m])')


def test_every_metric_is_exported(server):
    status, _, text = server.request("GET", "/metrics")
    assert status == 200
    have = exported(text) | PROMETHEUS_OWN
    used = set()
    for g in parse(RULES)["groups"]:
        for r in g["rules"]:
            used |= metric_names(r["expr"])
    assert used - have == set(), sorted(used - have)
    assert "qpayd_refund_oldest_age_seconds" in used and "qpayd_payouts_total" in used
    # and a name qpayd does not export is caught
    assert metric_names('rate(qpayd_no_such_total{a="b"}[5m])') - have == {"qpayd_no_such_total"}
