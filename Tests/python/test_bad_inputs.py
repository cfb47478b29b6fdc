"""Every row of the bad-input matrix (bad_inputs.py, docs/reliability.md) gives its error, and the
process survives to try the next."""

import pytest

import bad_inputs


@pytest.mark.parametrize("name, call, error, fragment", bad_inputs.CASES, ids=[c[0] for c in bad_inputs.CASES])
def test_bad_input_gives_a_clear_error(name, call, error, fragment):
    raised = bad_inputs.outcome(call)
    assert raised is not None, f"{name}: accepted"
    assert isinstance(raised, error), f"{name}: {type(raised).__name__}: {raised}"
    assert fragment in str(raised), f"{name}: {raised}"
