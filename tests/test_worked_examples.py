"""W1-W6 of the SPEC (section 5): the SPEC's rounded figures, and exact hand calculations.

The hand calculations are written out from the formulas of SPEC section 3, so that
a test fails if either the core or the example wiring drifts.
"""

import math

import pytest

from xlmargin.core.examples import WORKED_EXAMPLES

MMR = 0.005


def out(key, **inputs):
    return WORKED_EXAMPLES[key].outputs(**inputs)


# (example, inputs, output name, SPEC figure rounded as printed, decimals, exact hand calculation)
SPEC_FIGURES = [
    ("W1", {}, "MAX_SIZE", 0.2, 6, 1000 * 10 / 50_000),
    ("W1", {}, "IM_AT_ENTRY", 1_000, 6, 0.2 * 50_000 / 10),
    ("W1", {}, "MM_AT_ENTRY", 50, 6, 0.2 * 50_000 * MMR),
    ("W1", {}, "ISO_LIQ_PRICE", 45_226.13, 2, (1000 - 0.2 * 50_000) / (0.2 * MMR - 0.2)),
    ("W1", {}, "PNL", -400, 6, 0.2 * (48_000 - 50_000)),
    ("W2", {}, "ISO_LIQ_PRICE", 49_246.23, 2, (100 - 0.1 * 50_000) / (0.1 * MMR - 0.1)),
    ("W2", {}, "CROSS_LIQ_PRICE", 40_201.01, 2, (1000 - 0.1 * 50_000) / (0.1 * MMR - 0.1)),
    ("W2", {}, "ISO_MAX_LOSS", 100, 6, 100),
    ("W2", {}, "CROSS_MAX_LOSS", 1_000, 6, 1000),
    ("W3", {}, "ISO_ETH_LIQ_PRICE", 2_261.31, 2, (200 - 0.8 * 2500) / (0.8 * MMR - 0.8)),
    ("W3", {}, "ISO_BTC_LIQ_PRICE", 45_226.13, 2, (200 - 0.04 * 50_000) / (0.04 * MMR - 0.04)),
    # ETH in cross, BTC held at 51,000: margin = 500 + 40 - MM(BTC at 51,000)
    ("W3", {}, "CROSS_ETH_LIQ_PRICE", 1_846.98, 2, (500 + 40 - 0.04 * 51_000 * MMR - 0.8 * 2500) / (0.8 * MMR - 0.8)),
    ("W3", {"ETH_PRICE": 2_200}, "CROSS_EQUITY", 300, 6, 500 + 0.04 * 1000 + 0.8 * (2200 - 2500)),
    ("W3", {"ETH_PRICE": 2_200}, "ISO_ACCOUNT_VALUE", 340, 6, 100 + 200 + 40),
    ("W3", {"ETH_PRICE": 2_200}, "CROSS_ACCOUNT_VALUE", 300, 6, 300),
    ("W3", {"ETH_PRICE": 1_800}, "CROSS_EQUITY", -20, 6, 500 + 40 + 0.8 * (1800 - 2500)),
    ("W3", {"ETH_PRICE": 1_800}, "CROSS_ACCOUNT_VALUE", 0, 6, 0),
    ("W3", {"ETH_PRICE": 1_800}, "ISO_ACCOUNT_VALUE", 340, 6, 340),
    ("W4", {}, "ISO_LIQ_PRICE", 54_818.18, 2, 3e6 * (MMR + 1) / (5 + 3e6 / 60_000)),
    ("W4", {}, "CROSS_LIQ_PRICE", 50_250.00, 2, 3e6 * (MMR + 1) / (10 + 3e6 / 60_000)),
    ("W4", {}, "ISO_MAX_LOSS", 5, 6, 5),
    ("W4", {}, "CROSS_MAX_LOSS", 10, 6, 10),
    ("W5", {}, "CROSS_EQUITY", 100, 6, 1000 - 30 * 30),
    ("W5", {}, "CROSS_MAINT_MARGIN", 69, 6, 30 * 130 * 0.01 + 10_000 * 0.1 * 0.01 + 2000 * 0.5 * 0.01 + 0.04 * 50_000 * MMR),
    # ALT1 short, the others at entry: margin = 1000 - (10 + 10 + 10)
    ("W5", {}, "ALT1_CROSS_LIQ_PRICE", 131.02, 2, (970 + 30 * 100) / (30 * 0.01 + 30)),
    ("W5", {}, "ALT1_ISO_LIQ_PRICE", 108.91, 2, (300 + 30 * 100) / (30 * 0.01 + 30)),
    ("W6", {"ADDED_MARGIN": 0, "FUNDING_INTERVALS": 0}, "ISO_LIQ_PRICE", 47_738.69, 2, (250 - 5000) / (0.1 * MMR - 0.1)),
    ("W6", {"ADDED_MARGIN": 100, "FUNDING_INTERVALS": 0}, "ISO_LIQ_PRICE", 46_733.67, 2, (350 - 5000) / (0.1 * MMR - 0.1)),
    ("W6", {"FUNDING_INTERVALS": 1}, "FUNDING", -0.5, 9, -0.1 * 50_000 * 0.0001),
    ("W6", {}, "FUNDING", -45, 9, -0.1 * 50_000 * 0.0001 * 90),
    ("W6", {}, "ISO_LIQ_PRICE", 47_185.93, 2, (350 - 45 - 5000) / (0.1 * MMR - 0.1)),
]


@pytest.mark.parametrize(
    "key, inputs, name, spec, decimals, exact", SPEC_FIGURES, ids=[f"{r[0]}-{r[2]}-{i}" for i, r in enumerate(SPEC_FIGURES)]
)
def test_spec_figures(key, inputs, name, spec, decimals, exact):
    value = out(key, **inputs)[name]
    assert round(value, decimals) == pytest.approx(spec, abs=10 ** -(decimals + 3))
    assert value == pytest.approx(exact, rel=1e-12, abs=1e-9)


def test_w1_pnl_is_the_same_in_either_mode():
    # isolated: the position's own margin moves by the PnL; cross: the equity does
    w1 = out("W1")
    iso_value = WORKED_EXAMPLES["W1"].inputs["BALANCE"] + w1["PNL"]
    assert iso_value == pytest.approx(600)


def test_w2_loss_is_capped_in_isolated_and_total_in_cross():
    below_iso = out("W2", MARK_PRICE=49_000)  # past the isolated liquidation price
    assert below_iso["ISO_ACCOUNT_VALUE"] == pytest.approx(900)  # the 900 stay safe
    assert below_iso["CROSS_ACCOUNT_VALUE"] == pytest.approx(1000 - 100)  # cross is still alive
    below_cross = out("W2", MARK_PRICE=40_000)
    assert below_cross["CROSS_ACCOUNT_VALUE"] == 0  # liquidation takes the whole account
    assert below_cross["ISO_ACCOUNT_VALUE"] == pytest.approx(900)


def test_w2_margin_call_shows_before_liquidation():
    lp = out("W2")["CROSS_LIQ_PRICE"]
    calls = [(p, out("W2", MARK_PRICE=p)["CROSS_MARGIN_CALL"]) for p in range(50_000, int(lp), -50)]
    first_call = next(p for p, called in calls if called)
    assert first_call > lp + 10  # a warning, not a post-mortem
    assert out("W2", MARK_PRICE=first_call)["CROSS_ACCOUNT_VALUE"] > 0


def test_w5_a_31_percent_pump_liquidates_the_whole_cross_account():
    assert out("W5", ALT1_PRICE=130)["CROSS_ACCOUNT_VALUE"] == pytest.approx(100)
    assert out("W5", ALT1_PRICE=131.5)["CROSS_ACCOUNT_VALUE"] == 0
    assert out("W5")["ALT1_CROSS_LIQ_PRICE"] / 100 - 1 == pytest.approx(0.31, abs=0.005)


def test_unknown_input_is_named():
    with pytest.raises(KeyError, match="MARK_PRYCE"):
        out("W1", MARK_PRYCE=1)


def test_every_output_is_a_finite_number():
    for example in WORKED_EXAMPLES.values():
        for name, value in example.outputs().items():
            assert isinstance(value, (float, bool)) and math.isfinite(value), (example.key, name, value)
