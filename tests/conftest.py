"""Test-wide setup."""

import os

# The Excel functions are tested through xlwings' Office.js call path (xlwings Server / Lite).
# xlwings picks its decorators when it is first imported, so this must come before any import
# of xlwings. The "noncommercial" key is xlwings' key for noncommercial use, which these tests are.
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import numpy as np
import pytest
from hypothesis import settings

# HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_invariants.py  for a long search
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(params=["scalar", "list", "ndarray", "series"])
def kind(request):
    """Turn a list of values into each input kind the core accepts (scalar: first value)."""
    import pandas as pd

    def make(values):
        if request.param == "scalar":
            return values[0]
        if request.param == "list":
            return list(values)
        if request.param == "ndarray":
            return np.array(values)
        return pd.Series(values, index=[f"p{i}" for i in range(len(values))])

    make.name = request.param
    return make
