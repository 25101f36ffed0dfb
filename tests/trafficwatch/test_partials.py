"""Partials kept per process by what they are given (trafficwatch/partials.py)."""

from hypothesis import given
from hypothesis import strategies as st

from trafficwatch.partials import freeze, thaw

plain = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
contexts = st.recursive(
    plain,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), contexts, max_size=5))
def test_a_frozen_context_is_hashable_and_thaws_to_what_it_was(context):
    frozen = freeze(context)

    hash(frozen)
    assert thaw(frozen) == context


@given(st.dictionaries(st.text(max_size=8), plain, min_size=1, max_size=4))
def test_a_dict_and_a_list_of_its_pairs_are_kept_apart(mapping):
    pairs = [[key, value] for key, value in mapping.items()]

    assert freeze({"card": mapping}) != freeze({"card": pairs})
