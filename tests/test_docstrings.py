"""Docstrings a reviewer can rely on (issue #10): every public function in numpydoc form.

Each public function of the core (``xlmargin.core.__all__``: the formulas, ``price_on_screen``,
``hyperliquid_mmr``, and ``TierTable``'s public methods) must have a summary line that names
its result with a unit in brackets; the sections Parameters, Returns, Raises, Notes, References
and Examples; every parameter of its signature documented with a unit in brackets, "no unit"
or a choice list; and a doctest in Examples (the doctests themselves run with
``--doctest-modules``). The units must be the glossary's, and the Excel argument help must use
the same units as the glossary.

Docstrings are read with ``numpydoc.docscrape`` where numpydoc is installed, and otherwise with
the small parser below, which reads the same sections the same way (a test holds them equal
where both are available).
"""

from __future__ import annotations

import inspect
import pathlib
import re
import textwrap

import pytest

import xlmargin as xm
from xlmargin.excel import udfs

try:
    from numpydoc.docscrape import NumpyDocString
except ImportError:  # pragma: no cover - numpydoc is a dev dependency
    NumpyDocString = None

DOCS = pathlib.Path(__file__).parents[1] / "docs"
SECTIONS = ("Parameters", "Returns", "Raises", "Notes", "References", "Examples")
UNIT = re.compile(r"\[([^\[\]]+)\]")
# methods that raise nothing on purpose: their Raises section says "Nothing"
NOTHING_TO_RAISE = {"TierTable.to_frame", "TierTable.available"}


def public_functions() -> dict[str, object]:
    """name -> function: the core's public functions and the public methods of its classes."""
    found = {}
    for name in xm.core.__all__:
        obj = getattr(xm.core, name)
        if name in ("TierTable", "SizeScaledRate"):  # classes: their public methods
            for method, _ in inspect.getmembers(obj, callable):
                if not method.startswith("_"):
                    found[f"{name}.{method}"] = getattr(obj, method)
        elif callable(obj):
            found[name] = obj
    return found


FUNCTIONS = public_functions()


def parameter_names(function) -> list[str]:
    return [n for n in inspect.signature(function).parameters if n not in ("self", "cls")]


# ---------------------------------------------------------------- reading a docstring
def small_parse(doc: str) -> dict[str, object]:
    """Summary, parameters (name, type, description) and the text of each section of a numpydoc docstring."""
    lines = textwrap.dedent("\n".join(doc.expandtabs().splitlines()[1:])).splitlines()
    summary = [doc.strip().splitlines()[0].strip()]
    sections: dict[str, list[str]] = {}
    current = None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[i + 1].strip()) and line.strip() and not line.startswith(" "):
            current = line.strip()
            sections[current] = []
        elif current and not re.fullmatch(r"-{3,}", line.strip()):
            sections[current].append(line)

    def entries(body: list[str]) -> list[tuple[str, str, str]]:
        out = []
        for line in body:
            if line.strip() and not line.startswith(" "):
                name, _, kind = line.partition(" : ")
                out.append([name.strip(), kind.strip(), []])
            elif out and line.strip():
                out[-1][2].append(line.strip())
        return [(n, k, " ".join(d)) for n, k, d in out]

    return {
        "Summary": summary,
        "Parameters": entries(sections.get("Parameters", [])),
        "Returns": entries(sections.get("Returns", [])),
        "Raises": entries(sections.get("Raises", [])),
        **{s: "\n".join(sections.get(s, [])).strip() for s in ("Notes", "References", "Examples")},
    }


def parse(doc: str) -> dict[str, object]:
    """The same structure as :func:`small_parse`, from numpydoc where it is installed."""
    if NumpyDocString is None:
        return small_parse(doc)
    d = NumpyDocString(doc)
    as_tuples = lambda items: [(p.name, p.type, " ".join(p.desc)) for p in items]  # noqa: E731
    return {
        "Summary": d["Summary"][:1],
        "Parameters": as_tuples(d["Parameters"]),
        "Returns": as_tuples(d["Returns"]),
        "Raises": as_tuples(d["Raises"]),
        **{s: "\n".join(d[s]).strip() for s in ("Notes", "References", "Examples")},
    }


def documented_parameters(parsed) -> dict[str, tuple[str, str]]:
    """name -> (type, description); ``a, b : float`` documents both names."""
    return {name.strip(): (kind, desc) for names, kind, desc in parsed["Parameters"] for name in names.split(",")}


# ---------------------------------------------------------------- the glossary
def glossary() -> dict[str, tuple[str, str]]:
    """name -> (meaning, unit) from the table in docs/glossary.md."""
    entries = {}
    for line in (DOCS / "glossary.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            entries[cells[0].strip("`")] = (cells[1], cells[2])
    return entries


GLOSSARY = glossary()


def unit_words(text: str) -> set[str]:
    """The units in brackets in ``text``, each without its explanation: '[decimal: 0.005 is 0.5 %]' -> 'decimal'."""
    return {u.split(":")[0].strip() for u in UNIT.findall(text)}


# ---------------------------------------------------------------- the checks
def test_every_public_function_is_checked():
    names = set(FUNCTIONS)
    assert set(xm.core.FORMULAS) | {"price_on_screen", "hyperliquid_mmr"} <= names
    assert {"TierTable.load", "TierTable.from_rows", "TierTable.tier_index"} <= names


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_numpydoc_sections_are_all_there(name):
    function = FUNCTIONS[name]
    parsed = parse(function.__doc__)
    assert UNIT.search(parsed["Summary"][0]), f"{name}: the summary line names no [unit]"
    wanted = [s for s in SECTIONS if s != "Parameters" or parameter_names(function)]
    missing = [s for s in wanted if not parsed[s]]
    assert not missing, f"{name} lacks {', '.join(missing)}"
    assert ">>>" in parsed["Examples"], f"{name}: Examples has no doctest"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_parameter_is_documented_with_a_unit_or_a_choice(name):
    function = FUNCTIONS[name]
    documented = documented_parameters(parse(function.__doc__))
    assert [p for p in parameter_names(function) if p not in documented] == [], f"{name}: undocumented parameters"
    assert [p for p in documented if p not in parameter_names(function)] == [], f"{name}: parameters not in the signature"
    for parameter, (kind, desc) in documented.items():
        assert kind, f"{name}({parameter}): no type word"
        assert desc, f"{name}({parameter}): no description"
        has_unit = UNIT.search(desc) or "no unit" in desc or kind.startswith("{")
        assert has_unit, f"{name}({parameter}): no [unit], 'no unit' or choice list"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_parameter_units_are_the_glossarys(name):
    """A parameter the glossary defines carries the glossary's units (or says 'no unit' where it has none)."""
    for parameter, (_, desc) in documented_parameters(parse(FUNCTIONS[name].__doc__)).items():
        if parameter not in GLOSSARY:
            continue
        unit = GLOSSARY[parameter][1]
        if unit_words(unit):
            assert unit_words(unit) <= unit_words(desc), f"{name}({parameter}): glossary says {unit}"
        else:
            assert "no unit" in desc, f"{name}({parameter}): the glossary gives no unit; say 'no unit'"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_returns_says_when_the_result_is_nan(name):
    returns = " ".join(desc for _, _, desc in parse(FUNCTIONS[name].__doc__)["Returns"])
    assert "NaN" in returns, f"{name}: Returns does not say when the result is NaN (or that it never is)"
    assert UNIT.search(returns) or "no unit" in returns, f"{name}: Returns gives no [unit]"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_raises_names_xlmargins_exceptions(name):
    if name in NOTHING_TO_RAISE:
        assert [n or kind for n, kind, _ in parse(FUNCTIONS[name].__doc__)["Raises"]] == ["Nothing"]
        return
    raised = {kind.split(".")[-1] or n.split(".")[-1] for n, kind, _ in parse(FUNCTIONS[name].__doc__)["Raises"]}
    raised |= {n.split(".")[-1] for n, _, _ in parse(FUNCTIONS[name].__doc__)["Raises"]}
    assert raised & {"InputError", "TierTableError", "ValueError"}, f"{name}: Raises names none of xlmargin's errors"


def test_every_parameter_name_is_in_the_glossary():
    """Every name a user meets in a public signature, and every column of a review book, is in the glossary."""
    from xlmargin.review.book import ACCOUNT_COLUMNS, POSITION_COLUMNS, TIER_COLUMNS

    formulas = {p for name in [*xm.core.FORMULAS, "price_on_screen", "hyperliquid_mmr"] for p in parameter_names(getattr(xm, name))}
    columns = set(POSITION_COLUMNS) | set(ACCOUNT_COLUMNS) | set(TIER_COLUMNS) | {"leverage", "rules"}
    assert sorted((formulas | columns) - set(GLOSSARY)) == []


def test_excel_argument_help_has_the_glossarys_units():
    """The help Excel shows for an argument carries the glossary entry's unit, in the same words."""
    wrong = {}
    for name, help_text in udfs.ARG_HELP.items():
        unit = GLOSSARY[name][1]
        if not unit_words(unit) <= unit_words(help_text):
            wrong[name] = (help_text, unit)
        if not unit_words(unit) and UNIT.search(help_text):
            wrong[name] = (help_text, "no unit")
    assert wrong == {}


@pytest.mark.skipif(NumpyDocString is None, reason="numpydoc is not installed")
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_the_small_parser_reads_what_numpydoc_reads(name):
    """The fallback parser (used where numpydoc is not installed) sees the same parameters and sections."""
    doc = FUNCTIONS[name].__doc__
    ours, theirs = small_parse(doc), parse(doc)
    assert documented_parameters(ours).keys() == documented_parameters(theirs).keys()
    assert ours["Summary"] == theirs["Summary"]
    for section in SECTIONS[1:]:
        assert bool(ours[section]) == bool(theirs[section]), section
