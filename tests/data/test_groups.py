import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from missmodal.data.groups import (all_nonempty_codes, code_to_mask, codes_to_masks, group_codes, group_name,
                                   head_groups, parse_group)


def test_group_code_is_bitmask_of_observed_modalities():
    observed = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 1]], bool)
    assert group_codes(observed).tolist() == [0b101, 0b010, 0b111]


def test_group_name_joins_present_modalities_in_order():
    assert group_name(0b101, ["fac", "pix", "zer"]) == "fac+zer"
    assert parse_group("zer+fac", ["fac", "pix", "zer"]) == 0b101


@given(arrays(bool, st.tuples(st.integers(1, 30), st.integers(1, 8))))
def test_codes_round_trip_to_masks(observed):
    codes = group_codes(observed)
    assert np.array_equal(codes_to_masks(codes, observed.shape[1]), observed)
    for code, row in zip(codes, observed):
        assert np.array_equal(code_to_mask(code, observed.shape[1]), row)


@given(st.integers(1, 8))
def test_all_nonempty_codes_enumerates_each_combination_once(m):
    codes = all_nonempty_codes(m)
    assert len(codes) == 2**m - 1
    assert sorted(codes.tolist()) == list(range(1, 2**m))


def test_head_groups_cover_the_requested_share():
    counts = {1: 50, 2: 25, 3: 15, 4: 10}
    assert head_groups(counts, 0.8) == {1, 2, 3}
    assert head_groups(counts, 0.5) == {1}
