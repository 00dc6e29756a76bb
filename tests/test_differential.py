"""Differential test (issue #11): xlmargin's public functions against an independent exact reference.

The reference (``tests/reference_margin.py``) is written from SPEC.md and
docs/formulas.md with ``fractions.Fraction``, one position at a time; it does
not import xlmargin. Here seeded random positions (``numpy.random.default_rng``
with a fixed seed) are sent to xlmargin in vectorised calls and each answer is
checked against the reference:

* a finite answer must agree to a relative tolerance ``RTOL = 1e-9``;
* where the reference has no positive finite price, xlmargin must give NaN
  (never 0, never a huge number), and where the reference has one, a number.

Covered: isolated liquidation prices (flat rates with maintenance amounts, and
consistent tier tables whose roots are also put exactly on tier boundaries),
bankruptcy prices, maintenance margin, PnL, cross liquidation prices (the
others at their marks) and the entry-valued rules of Bybit and BitMEX; linear
and inverse, long and short; sizes from 1e-8 to 1e6 BTC; leverage 1 (margin =
the whole notional, ``q/E`` for inverse), the maximum leverage, and positions
with no liquidation price.

Cases are of two kinds. *Random* cases are well conditioned (the cancelling
difference ``m + c - s*q*E``, or its inverse form, is not tiny against its
terms: checked), so float arithmetic can reach ``RTOL`` and any disagreement is
a bug, not rounding. *Exact* cases are built from few-bit (dyadic) numbers so
that every input is exactly the rational value intended: a 1x margin that is
exactly the notional at entry, a root exactly on a tier boundary. There the
reference decides exactly, and a difference that is exactly zero means no
liquidation price.

Each test lists every disagreement class it finds with a count and a short
call that reproduces it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction as F

import numpy as np
import pytest
import reference_margin as ref

import xlmargin as xm

SEED = 20240611
RTOL = 1e-9
MAX_CONDITION = 1e5  # random cases must be at least this well conditioned (so 1e-9 is reachable)
COMPILED_ROWS = 2_000  # a tiered call this large also goes through the compiled kernel (when numba is present)

CASES = defaultdict(int)  # cases checked, by test


# -- comparing and reporting ----------------------------------------------------------


class Disagreements:
    """Disagreements grouped by class, each with a count and its shortest reproducing call."""

    def __init__(self, name: str):
        self.name = name
        self.classes: dict[str, list] = {}
        self.checked = 0

    def check(self, got: float, want: F | None, cls: str, call: str, scale: F | None = None, entry=None) -> None:
        """Compare one answer; ``scale`` (default ``|want|``) is what the tolerance is relative to.

        Where the reference has no answer, ``entry`` (the entry price) sorts a wrong
        answer into huge / tiny / ordinary.
        """
        self.checked += 1
        got = float(got)
        if want is None:
            if math.isnan(got):
                return
            kind = f"{cls}: {_magnitude(got, entry)} where the reference has none (NaN expected)"
            self._add(kind, call, got, "nan")
            return
        if math.isnan(got):
            self._add(f"{cls}: NaN where the reference has a value", call, got, float(want))
            return
        scale = abs(want) if scale is None else scale
        err = abs(F(got) - want)
        if err > RTOL * scale:
            rel = float(err / scale) if scale else math.inf
            self._add(f"{cls}: off by more than {RTOL:g} (relative)", call, got, float(want), rel)

    def _add(self, kind, call, got, want, rel=None):
        entry = self.classes.setdefault(kind, [0, None, math.inf, -math.inf])
        entry[0] += 1
        example = (len(call), call, got, want, rel)
        if entry[1] is None or example < entry[1]:
            entry[1] = example
        if not math.isnan(got):
            entry[2], entry[3] = min(entry[2], got), max(entry[3], got)

    def report(self) -> str:
        lines = [f"{self.name}: {sum(c[0] for c in self.classes.values())} disagreement(s) in {self.checked} checks"]
        for kind, (count, (_, call, got, want, rel), lo, hi) in sorted(self.classes.items()):
            extra = f", relative error {rel:.3g}" if rel is not None else ""
            spread = f" (answers from {lo:.3g} to {hi:.3g})" if count > 1 and lo <= hi else ""
            lines.append(f"  [{count}x] {kind}{spread}\n      {call}  ->  {got!r} (reference {want!r}{extra})")
        return "\n".join(lines)

    def assert_none(self) -> None:
        CASES[self.name] += self.checked
        print(self.report())
        assert not self.classes, self.report()


def _magnitude(x: float, scale) -> str:
    if x <= 0 or scale is None:
        return "a value of 0 or less" if x <= 0 else "a value"
    ratio = x / float(scale)
    if ratio > 1e6:
        return "a huge price (over 1e6 x entry)"
    if ratio < 1e-6:
        return "a tiny price (under 1e-6 x entry)"
    return "a price"



def side_name(s: int) -> str:
    return "long" if s > 0 else "short"


def contract_name(inverse: bool) -> str:
    return "inverse" if inverse else "linear"


def rows_table(table) -> str:
    """A reproducible TierTable.from_rows(...) expression for an exact reference table."""
    rows = [[float(f), float(cap) if cap < F(10) ** 29 else math.inf, float(lev), float(r), float(c)]
            for (f, cap, r, c), lev in zip(table, _levs(table))]
    return "xm.TierTable.from_rows(" + repr(rows).replace("inf", "float('inf')") + ")"


def _levs(table):
    return [max(1, min(125, int(1 / (2 * float(r))))) if r > 0 else 125 for (_f, _c, r, _a) in table]


def xm_table(table) -> xm.TierTable:
    floors = [float(f) for f, _, _, _ in table]
    caps = [float(c) if c < F(10) ** 29 else math.inf for _, c, _, _ in table]
    rates = [float(r) for _, _, r, _ in table]
    amounts = [float(a) for _, _, _, a in table]
    for f, c, r, a, (ef, ec, er, ea) in zip(floors, caps, rates, amounts, table):
        assert F(f) == ef and F(r) == er and F(a) == ea, "the reference table must be exactly representable"
    t = xm.TierTable(np.array(floors), np.array(caps), np.array(_levs(table), dtype=float), np.array(rates), np.array(amounts))
    assert t.continuous
    return t


def condition(s, q, e, m, c, inverse, extra=0.0) -> float:
    """How much the cancelling difference of the root amplifies rounding: sum of |terms| / |sum|.

    ``extra`` is the sum of |terms| that went into ``m`` (for a cross margin). A float
    estimate decides the clear cases; the rest are computed exactly (an exact zero is inf).
    """
    term = q / e if inverse else q * e
    size = abs(m) + abs(c) + term + float(extra)
    diff = m + c + (s * term if inverse else -s * term)
    if abs(diff) > 1e-6 * size:
        return size / abs(diff)
    q, e, m, c = F(q), F(e), F(m), F(c)
    diff = m + c + (s * q / e if inverse else -s * q * e)
    return math.inf if diff == 0 else size / abs(float(diff))


# -- generating inputs ---------------------------------------------------------------

rng = np.random.default_rng(SEED)


def log_uniform(lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def dyadic(x: float, bits: int = 10) -> float:
    """``x`` rounded to ``bits`` significant bits: exact in products and sums of a few such numbers."""
    if x == 0:
        return 0.0
    e = math.floor(math.log2(abs(x)))
    step = 2.0 ** (e - bits + 1)
    return round(x / step) * step


def random_rate() -> float:
    pick = rng.integers(0, 6)
    return [0.0, 0.004, 0.005, 0.01, 0.025, float(rng.uniform(0, 0.3))][pick]


def max_leverage(r: float) -> float:
    return 125.0 if r <= 0 else float(max(1, min(125, int(1 / (2 * r)))))


def random_entry() -> float:
    return log_uniform(1e-3, 2e5)


def random_size(inverse: bool, e: float, lo=1e-8, hi=1e6) -> float:
    """Size for ``lo..hi`` base units: BTC (linear) or their USD value (inverse)."""
    base = log_uniform(lo, hi)
    return base * e if inverse else base


def leverage_case(kind: str, lmax: float) -> float:
    if kind == "max leverage":
        return lmax
    if kind == "no liquidation (margin > notional)":
        return float(rng.uniform(0.2, 0.95))
    return float(rng.uniform(1.01, max(1.02, lmax)))


KINDS = ["random leverage", "random leverage", "max leverage", "no liquidation (margin > notional)"]


def random_flat_position(inverse: bool, s: int):
    """A well-conditioned random position with a flat rate and maintenance amount."""
    while True:
        e = random_entry()
        q = random_size(inverse, e) if rng.random() > 0.1 else (1e-8 if not inverse else 1e-8 * e) if rng.random() < 0.5 else (1e6 if not inverse else 1e6 * e)
        r = random_rate()
        n0 = q / e if inverse else q * e
        c = 0.0 if rng.random() < 0.5 else float(rng.uniform(0, 0.5)) * n0 * max(r, 0.001)
        kind = KINDS[rng.integers(0, len(KINDS))]
        m = n0 / leverage_case(kind, max_leverage(r))
        if condition(s, q, e, m, c, inverse) < MAX_CONDITION:
            return (s, q, e, m, r, c), kind


def exact_one_x(inverse: bool, s: int, with_cum: bool):
    """A 1x position in few-bit numbers: margin (+ cum) exactly the notional at entry.

    Inverse: ``m = q/E`` with ``q = m*E`` exact; linear: ``m = q*E`` exact.
    """
    e = dyadic(log_uniform(1.0, 2e5), 12)
    if inverse:
        target = dyadic(log_uniform(1e-6, 1e3), 10)  # coin value at entry
        q = target * e
        assert F(q) / F(e) == F(target)
    else:
        q = dyadic(log_uniform(1e-8, 1e6), 10)
        target = q * e
        assert F(target) == F(q) * F(e)
    r = [0.0, 2.0 ** -8, 5 * 2.0 ** -10, 0.005][rng.integers(0, 4)]
    c = dyadic(target * float(rng.uniform(0.0, 0.004)), 8) if with_cum else 0.0
    m = target - c  # margin + cum = notional at entry, exactly
    assert F(m) + F(c) == F(target)
    return s, q, e, m, r, c


# -- isolated, flat rates --------------------------------------------------------------


def isolated_flat_cases(n_random=4_400, n_exact=640):
    cases = []
    for inverse in (False, True):
        for s in (1, -1):
            for _ in range(n_random // 4):
                pos, kind = random_flat_position(inverse, s)
                cases.append((inverse, pos, kind))
            for k in range(n_exact // 4):
                cases.append((inverse, exact_one_x(inverse, s, with_cum=k % 2 == 1),
                              "1x exact" + (" with cum" if k % 2 else "")))
    return cases


FLAT = isolated_flat_cases()


def _flat_columns(cases):
    cols = list(zip(*[pos for _inv, pos, _k in cases]))
    s, q, e, m, r, c = (np.array(col, dtype=float) for col in cols)
    inv = np.array([inv for inv, _p, _k in cases])
    contract = np.where(inv, "inverse", "linear")
    return s, q, e, m, r, c, contract


def test_isolated_liq_price_flat():
    d = Disagreements("isolated_liq_price, flat rate")
    s, q, e, m, r, c, contract = _flat_columns(FLAT)
    got = xm.isolated_liq_price(s, q, e, m, r, c, contract)
    for i, (inverse, (si, qi, ei, mi, ri, ci), kind) in enumerate(FLAT):
        want = ref.isolated_liq(si, qi, ei, mi, inverse, ri, ci)
        cls = f"isolated {contract_name(inverse)} {side_name(si)}, {kind}"
        call = f"xm.isolated_liq_price({side_name(si)!r}, {qi!r}, {ei!r}, {mi!r}, {ri!r}, {ci!r}, {contract_name(inverse)!r})"
        d.check(got[i], want, cls, call, entry=ei)
    d.assert_none()


def test_bankruptcy_price():
    d = Disagreements("bankruptcy_price")
    s, q, e, m, _r, _c, contract = _flat_columns(FLAT)
    got = xm.bankruptcy_price(s, q, e, m, contract)
    for i, (inverse, (si, qi, ei, mi, _ri, ci), kind) in enumerate(FLAT):
        if not kind.startswith("1x exact") and condition(si, qi, ei, mi, 0.0, inverse) >= MAX_CONDITION:
            continue  # well conditioned with its cum, not without: a case for the float rounding, not for a bug
        want = ref.bankruptcy(si, qi, ei, mi, inverse)
        if kind.startswith("1x exact") and ci:
            kind = "margin below notional by the cum (exact)"
        cls = f"bankruptcy {contract_name(inverse)} {side_name(si)}, {kind}"
        call = f"xm.bankruptcy_price({side_name(si)!r}, {qi!r}, {ei!r}, {mi!r}, {contract_name(inverse)!r})"
        d.check(got[i], want, cls, call, entry=ei)
    d.assert_none()


def test_unrealized_pnl_and_maint_margin_flat():
    d = Disagreements("unrealized_pnl and maint_margin, flat rate")
    s, q, e, _m, r, c, contract = _flat_columns(FLAT)
    x = rng.uniform(-0.5, 1.0, len(FLAT))
    x = np.where(np.abs(x) < 1e-3, 0.0, x)
    p = np.where(rng.random(len(FLAT)) < 0.05, e, e * (1 + x))  # 5 %: the mark at the entry (PnL exactly 0)
    pnl = xm.unrealized_pnl(s, q, e, p, contract)
    mm = xm.maint_margin(q, p, r, c, contract)
    for i, (inverse, (si, qi, ei, _mi, ri, ci), _kind) in enumerate(FLAT):
        pi, cn = float(p[i]), contract_name(inverse)
        want = ref.pnl(si, qi, ei, pi, inverse)
        d.check(pnl[i], want, f"unrealized_pnl {cn}", f"xm.unrealized_pnl({side_name(si)!r}, {qi!r}, {ei!r}, {pi!r}, {cn!r})")
        n = ref.notional(qi, pi, inverse)
        want = ref.maint(qi, pi, inverse, ri, ci)
        d.check(mm[i], want, f"maint_margin {cn}", f"xm.maint_margin({qi!r}, {pi!r}, {ri!r}, {ci!r}, {cn!r})",
                scale=max(abs(want), n * F(ri), F(ci)))  # MM = n*r - c: relative to its terms
    d.assert_none()


# -- tier tables -----------------------------------------------------------------------


def random_table(inverse: bool):
    """A consistent table of 1-8 tiers in exact few-bit numbers (notional in the settlement asset)."""
    k = int(rng.integers(1, 9))
    b = dyadic(log_uniform(0.5, 200.0), 8) if inverse else float(int(log_uniform(1e3, 1e6)))
    floors = [0.0, b][:k]
    while len(floors) < k:
        floors.append(dyadic(floors[-1] * float(rng.uniform(2, 10)), 10))
    rates, r = [], int(rng.integers(30, 330))  # in units of 2**-16: 0.05 % .. 0.5 %
    for _ in range(k):
        rates.append(r * 2.0 ** -16)
        r += int(rng.integers(30, 3000))
        r = min(r, 30_000)  # below 0.46
    rates = sorted(set(rates))
    floors = floors[: len(rates)]
    table = ref.consistent_table(floors, rates)
    return table


def tiered_position(table, inverse: bool, s: int, kind: str):
    """A random well-conditioned position whose entry notional is anywhere across the table's tiers."""
    top = table[-1][0] if len(table) > 1 else (F(1000) if not inverse else F(10))
    low = table[1][0] / 20 if len(table) > 1 else top / 100
    while True:
        e = random_entry()
        n0 = log_uniform(float(low), float(top) * 20)
        q = n0 * e if inverse else n0 / e
        if not (1e-9 < (q / e if inverse else q) < 1e7):
            continue
        t = ref.tier_of(table, ref.notional(q, e, inverse))
        lmax = float(_levs(table)[t])
        m = n0 / leverage_case(kind, lmax)
        if all(condition(s, q, e, m, row[3], inverse) < MAX_CONDITION for row in table):  # whichever tier's cum
            return s, q, e, m


def boundary_position(table, k: int, inverse: bool, s: int):
    """Exact inputs whose liquidation root lies exactly on the boundary notional ``floor_k``.

    The margin is ``MM(b) - uPnL(P_b)`` at the boundary price ``P_b``; few-bit
    numbers throughout, so the root is exactly at the boundary (checked).
    """
    b = table[k][0]
    _f, _cap, r, c = table[k - 1]  # MM is continuous: the same in tier k
    j = int(rng.integers(-4, 12))
    if inverse:
        q = b * F(2) ** j * 1024  # P_b = q/b = 2**(j+10): 1/P_b exact
        pb = q / b
        e = pb * (2 if s > 0 else F(1, 2)) * (2 if rng.random() < 0.5 else 1) ** s
    else:
        q = F(2) ** int(rng.integers(-20, 4))
        pb = b / q
        x = [F(1, 8), F(1, 4), F(1, 2)][rng.integers(0, 3)]
        e = pb * (1 + x) if s > 0 else pb * (1 - x)
    m = (b * r - c) - ref.pnl(s, q, e, pb, inverse)
    for v in (q, e, m):
        if F(float(v)) != v:
            return None
    if m < 0:
        return None
    got = ref.isolated_liq(s, q, e, m, inverse, table=table)
    assert got == pb, "the constructed root must lie exactly on the boundary"
    return s, float(q), float(e), float(m)


def exact_one_x_tiered(table, inverse: bool, s: int):
    pos = exact_one_x(inverse, s, with_cum=False)
    return pos[:4]


TABLES = []
for _t in range(24):
    _inverse = bool(_t % 2)
    _table = random_table(_inverse)
    _cases = []
    for _s in (1, -1):
        for _i in range(110):
            _kind = KINDS[rng.integers(0, len(KINDS))]
            _cases.append((tiered_position(_table, _inverse, _s, _kind), _kind))
        for _i in range(12):
            _cases.append((exact_one_x_tiered(_table, _inverse, _s), "1x exact"))
        for _k in range(1, len(_table)):
            for _i in range(4):
                _pos = boundary_position(_table, _k, _inverse, _s)
                if _pos is not None:
                    _cases.append((_pos, "root exactly on a tier boundary"))
    TABLES.append((_inverse, _table, _cases))


def _tiered_check(d, inverse, table, cases, got, func, wants, engine):
    cn = contract_name(inverse)
    for i, (((si, qi, ei, mi), kind), want) in enumerate(zip(cases, wants)):
        cls = f"{func} tiered {cn} {side_name(si)}, {kind}"
        call = (f"xm.{func}({side_name(si)!r}, {qi!r}, {ei!r}, {mi!r}, T, contract={cn!r}{engine})"
                f"  with T = {rows_table(table)}")
        d.check(got[i], want, cls, call, entry=ei)


@pytest.mark.parametrize("rules", ["binance", "bybit", "bitmex"])
def test_isolated_liq_price_tiered(rules):
    """Tier of the notional at the liquidation price (binance), or of the entry notional (bybit, bitmex)."""
    d = Disagreements(f"isolated_liq_price, tier tables, rules={rules}")
    reference = ref.isolated_liq if rules == "binance" else ref.entry_valued_liq
    for inverse, table, cases in TABLES:
        t = xm_table(table)
        s, q, e, m = (np.array(col, dtype=float) for col in zip(*[pos for pos, _k in cases]))
        contract = contract_name(inverse)
        got = xm.isolated_liq_price(s, q, e, m, t, contract=contract, rules=rules)
        wants = [reference(si, qi, ei, mi, inverse, table=table) for (si, qi, ei, mi), _k in cases]
        _tiered_check(d, inverse, table, cases, got, "isolated_liq_price", wants, f", rules={rules!r}")
        reps = -(-COMPILED_ROWS // len(cases))  # the same rows again in one large call: the compiled kernel
        big = xm.isolated_liq_price(*(np.tile(a, reps) for a in (s, q, e, m)), t, contract=contract, rules=rules)
        _tiered_check(d, inverse, table, cases, big[: len(cases)], "isolated_liq_price", wants,
                      f", rules={rules!r}) [in a call of >= 2,000 rows")
    d.assert_none()


def test_maint_margin_tiered():
    d = Disagreements("maint_margin, tier tables")
    for inverse, table, cases in TABLES:
        t = xm_table(table)
        cn = contract_name(inverse)
        q = np.array([pos[1] for pos, _k in cases])
        e = np.array([pos[2] for pos, _k in cases])
        p = e * rng.uniform(0.3, 3.0, len(cases))
        # and marks exactly at a boundary notional where that is exact
        for i, row in enumerate(table[1:]):
            if i < len(p):
                b = row[0]
                j = i % len(q)
                pb = q[j] / float(b) if inverse else float(b) / q[j]
                if F(pb) == (F(q[j]) / b if inverse else b / F(q[j])):
                    p[j] = pb
        got = xm.maint_margin(q, p, t, contract=cn)
        for i in range(len(cases)):
            qi, pi = float(q[i]), float(p[i])
            want = ref.maint(qi, pi, inverse, table=table)
            n = ref.notional(qi, pi, inverse)
            d.check(got[i], want, f"maint_margin tiered {cn}",
                    f"xm.maint_margin({qi!r}, {pi!r}, T, contract={cn!r})  with T = {rows_table(table)}",
                    scale=max(abs(want), n * table[ref.tier_of(table, n)][2]))
    d.assert_none()


# -- entry-valued rules, flat rates ------------------------------------------------------


def entry_exact(inverse: bool, s: int):
    """Margin exactly ``notional(E) + MM(E)``: the loss reaches MM(E) only at price 0 (linear long) / infinity (inverse short)."""
    s, q, e, target, _r, _c = exact_one_x(inverse, s, with_cum=False)
    r = [2.0 ** -8, 5 * 2.0 ** -10][rng.integers(0, 2)]
    mm_e = F(target) * F(r)
    m = F(target) + mm_e
    assert F(float(m)) == m
    return s, q, e, float(m), r, 0.0


@pytest.mark.parametrize("rules", ["bybit", "bitmex"])
def test_entry_valued_rules_flat(rules):
    d = Disagreements(f"isolated_liq_price, flat rate, rules={rules}")
    cases = [(inv, pos, kind) for inv, pos, kind in FLAT if not kind.startswith("1x")]
    for inverse in (False, True):
        for s in (1, -1):
            cases += [(inverse, entry_exact(inverse, s), "margin exactly notional(E) + MM(E)") for _ in range(100)]
    s, q, e, m, r, c, contract = _flat_columns(cases)
    got = xm.isolated_liq_price(s, q, e, m, r, c, contract, rules=rules)
    for i, (inverse, (si, qi, ei, mi, ri, ci), kind) in enumerate(cases):
        mm_e = float(ref.maint(qi, ei, inverse, ri, ci))
        if not kind.startswith("margin exactly") and condition(si, qi, ei, mi, -mm_e, inverse) >= MAX_CONDITION:
            continue  # ill-conditioned under these rules: float rounding could exceed RTOL
        want = ref.entry_valued_liq(si, qi, ei, mi, inverse, ri, ci)
        cn = contract_name(inverse)
        call = f"xm.isolated_liq_price({side_name(si)!r}, {qi!r}, {ei!r}, {mi!r}, {ri!r}, {ci!r}, {cn!r}, rules={rules!r})"
        d.check(got[i], want, f"{rules} {cn} {side_name(si)}, {kind}", call, entry=ei)
    d.assert_none()


# -- cross -------------------------------------------------------------------------------


def random_account(inverse: bool, table):
    """1-4 positions of one contract type, others at marks; a wallet around their initial margins."""
    k = int(rng.integers(1, 5))
    positions, im = [], 0.0
    for _ in range(k):
        s = 1 if rng.random() < 0.5 else -1
        e = random_entry()
        q = random_size(inverse, e, 1e-6, 1e4)
        p = e * float(rng.uniform(0.7, 1.3))
        r, c = (random_rate(), 0.0) if table is None else (None, 0)
        if table is None and rng.random() < 0.5:
            c = float(rng.uniform(0, 0.5)) * (q / e if inverse else q * e) * max(r, 0.001)
        positions.append((s, q, e, p, r, c))
        im += (q / e if inverse else q * e) / float(rng.uniform(1.01, 50))
    wallet = im * float(rng.uniform(0.5, 3.0))
    return wallet, positions, "random"


def exact_cross_account(inverse: bool, wide: bool):
    """Position 0 is a linear long / inverse short, the others leave exactly its notional at entry behind it.

    ``wallet + sum_{j>0}(uPnL_j - MM_j) = q_0*E_0`` (or ``q_0/E_0``) exactly; every input
    is a float, the wallet found exactly. Position 0's own mark is an ordinary float. With
    ``wide``, position 0 is far in profit at its mark and the others have many-bit sizes,
    so that the account's sums in floats round.
    """
    s0 = -1 if inverse else 1
    for _try in range(50):
        _s, q0, e0, target, _r, _c = exact_one_x(inverse, s0, with_cum=False)
        move = float(rng.uniform(2, 16)) if wide else float(rng.uniform(0.8, 1.25))
        p0 = e0 / move if inverse else e0 * move
        positions = [(s0, q0, e0, p0, 0.005, 0.0)]
        spare = F(0)
        for _ in range(int(rng.integers(1 if wide else 0, 3))):
            s = 1 if rng.random() < 0.5 else -1
            if inverse:
                e = 2.0 ** round(math.log2(e0) + rng.integers(-2, 3))
                p = e * [0.5, 1.0, 2.0][rng.integers(0, 3)]
                q = dyadic(q0 * float(rng.uniform(0.25, 4)), 24) if wide else float(int(rng.integers(1, 2 ** 20)))
            else:
                e = float(int(rng.integers(1, 2 ** 17)))
                p = float(int(e * float(rng.uniform(0.7, 1.3)))) or 1.0
                q = dyadic(q0 * e0 / e * float(rng.uniform(0.25, 4)), 24) if wide else dyadic(log_uniform(1e-4, 1e2), 8)
            r = 5 * 2.0 ** -10
            positions.append((s, q, e, p, r, 0.0))
            spare += ref.pnl(s, q, e, p, inverse) - ref.maint(q, p, inverse, r, 0)
        wallet = F(target) - spare
        if F(float(wallet)) == wallet:
            kind = "margin left behind exactly the notional at entry (exact" + (", sums that round)" if wide else ")")
            return float(wallet), positions, kind
    return None


def cross_accounts(n_accounts=1_400):
    groups = {}
    for inverse in (False, True):
        flat = [random_account(inverse, None) for _ in range(n_accounts // 4)]
        flat += [a for a in (exact_cross_account(inverse, False) for _ in range(150)) if a is not None]
        flat += [a for a in (exact_cross_account(inverse, True) for _ in range(150)) if a is not None]
        # a lone position whose wallet is exactly q/E (inverse short) or q*E (linear long): the isolated 1x case
        for _ in range(50):
            s, q, e, m, r, _c = exact_one_x(inverse, -1 if inverse else 1, with_cum=False)
            flat.append((m, [(s, q, e, e * float(rng.uniform(0.8, 1.25)), r, 0.0)], "lone position, wallet exactly its notional at entry"))
        groups[(inverse, None)] = flat
        table = random_table(inverse)
        groups[(inverse, id(table))] = (table, [random_account(inverse, table) for _ in range(n_accounts // 4)])
    return groups


CROSS = cross_accounts()


def _run_cross(d, inverse, table, accounts):
    rows = [(a, w, pos) for a, (w, positions, _k) in enumerate(accounts) for pos in positions]
    label = np.array([a for a, _w, _p in rows])
    wallet = np.array([w for _a, w, _p in rows])
    s, q, e, p = (np.array([pos[i] for _a, _w, pos in rows], dtype=float) for i in range(4))
    cn = contract_name(inverse)
    if table is None:
        r = np.array([pos[4] for _a, _w, pos in rows], dtype=float)
        c = np.array([pos[5] for _a, _w, pos in rows], dtype=float)
        got = xm.cross_liq_price(wallet, s, q, e, p, r, c, cn, account=label)
    else:
        got = xm.cross_liq_price(wallet, s, q, e, p, xm_table(table), contract=cn, account=label)
    row = 0
    for w, positions, kind in accounts:
        for i, (si, qi, ei, _pi, ri, ci) in enumerate(positions):
            want = ref.cross_liq(i, w, positions, inverse, table)
            m = ref.cross_margin_of(i, w, positions, inverse, table)
            terms = abs(F(w)) + sum(abs(ref.pnl(sj, qj, ej, pj, inverse)) + abs(ref.maint(qj, pj, inverse, rj, cj, table))
                                    for j, (sj, qj, ej, pj, rj, cj) in enumerate(positions) if j != i)
            cum = ci if table is None else max(a for *_x, a in table)
            if (kind == "random" or i > 0) and condition(si, qi, ei, m, cum, inverse, terms) >= MAX_CONDITION:
                row += 1
                continue  # ill-conditioned draw: float rounding, not a bug, could exceed RTOL
            args = ", ".join(repr(x) for x in [w, [side_name(x[0]) for x in positions], [x[1] for x in positions],
                                                 [x[2] for x in positions], [x[3] for x in positions]])
            rates = "T" if table is not None else f"{[x[4] for x in positions]!r}, {[x[5] for x in positions]!r}"
            call = f"xm.cross_liq_price({args}, {rates}, contract={cn!r})[{i}]"
            if table is not None:
                call += f"  with T = {rows_table(table)}"
            cls = f"cross {cn} {side_name(si)}{' tiered' if table is not None else ''}, {kind}"
            d.check(got[row], want, cls, call, entry=ei)
            row += 1


def test_cross_liq_price():
    d = Disagreements("cross_liq_price")
    for (inverse, key), value in CROSS.items():
        if key is None:
            _run_cross(d, inverse, None, value)
        else:
            table, accounts = value
            _run_cross(d, inverse, table, accounts)
    d.assert_none()


def test_cross_equity():
    d = Disagreements("cross_equity")
    for (inverse, key), value in CROSS.items():
        accounts = value if key is None else value[1]
        rows = [(a, w, pos) for a, (w, positions, _k) in enumerate(accounts) for pos in positions]
        label = np.array([a for a, _w, _p in rows])
        wallet = np.array([w for _a, w, _p in rows])
        s, q, e, p = (np.array([pos[i] for _a, _w, pos in rows], dtype=float) for i in range(4))
        got = xm.cross_equity(wallet, s, q, e, p, contract_name(inverse), account=label)
        for a, (w, positions, _k) in enumerate(accounts):
            pnls = [ref.pnl(si, qi, ei, pi, inverse) for si, qi, ei, pi, _r, _c in positions]
            want = F(w) + sum(pnls)
            d.check(got[a], want, f"cross_equity {contract_name(inverse)}", f"account {a}",
                    scale=max(abs(want), abs(F(w)) + sum(abs(x) for x in pnls)))
    d.assert_none()


# -- how many cases ------------------------------------------------------------------------


def test_at_least_ten_thousand_cases():
    """The brief: at least 10,000 seeded random cases (positions, not repeated rows)."""
    isolated = len(FLAT) + sum(len(c) for _i, _t, c in TABLES)
    cross = sum(len(positions) for (inv, key), v in CROSS.items() for _w, positions, _k in (v if key is None else v[1]))
    print(f"isolated positions: {isolated} ({len(FLAT)} flat, {isolated - len(FLAT)} tiered), cross positions: {cross}")
    assert isolated + cross >= 10_000
    assert isolated >= 10_000
