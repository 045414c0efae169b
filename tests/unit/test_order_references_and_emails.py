"""Order references a customer reads out over the phone, the same one for a checkout page each
time it is submitted, and the email a receipt goes to: what is accepted and what is refused."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookshop import orders
from bookshop.orders import OrderError

# Four and four letters and digits, none of 0/O or 1/I.
REFERENCE = re.compile(r"BK-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}")
SECRET = "shop-secret"


def test_a_checkout_page_names_the_same_order_reference_across_releases():
    """A page opened before a deploy and submitted after it must still find its order."""
    assert orders.reference_for("cs_test_a1", SECRET) == "BK-PVRD-K7D5"
    assert orders.reference_for("cs_test_a2", SECRET) == "BK-79LF-TQPB"


@given(st.text(min_size=1, max_size=80))
def test_every_checkout_page_has_a_reference_that_can_be_read_out(checkout_id):
    reference = orders.reference_for(checkout_id, SECRET)
    assert REFERENCE.fullmatch(reference)
    assert orders.reference_for(checkout_id, SECRET) == reference


def test_different_checkout_pages_name_different_orders():
    references = {orders.reference_for(f"checkout-{n}", SECRET) for n in range(200)}
    assert len(references) == 200


def test_another_shops_secret_gives_other_references():
    """References cannot be guessed from a checkout id without the shop's secret."""
    ids = [f"checkout-{n}" for n in range(20)]
    ours = [orders.reference_for(i, SECRET) for i in ids]
    theirs = [orders.reference_for(i, "another-secret") for i in ids]
    assert all(a != b for a, b in zip(ours, theirs, strict=True))


def test_new_references_have_four_and_four_readable_characters():
    for _ in range(200):
        assert REFERENCE.fullmatch(orders.new_reference())


def refusal(raw):
    with pytest.raises(OrderError) as refused:
        orders.normalise_email(raw)
    return refused.value.message, refused.value.field


def local_part_for(length: int) -> str:
    """A valid address of exactly `length` characters."""
    return "r" * (length - len("@example.com")) + "@example.com"


def test_an_address_of_254_characters_is_accepted():
    address = local_part_for(254)
    assert orders.normalise_email(address) == address


def test_an_address_of_255_characters_is_refused():
    assert refusal(local_part_for(255)) == ("Please enter a valid email address.", "email")


def test_an_address_trimmed_to_254_characters_is_accepted():
    address = local_part_for(254)
    assert orders.normalise_email(f"  {address}\n") == address


@pytest.mark.parametrize(
    "raw", [None, 42, b"reader@example.com", "", "   ", "reader", "reader@example", "@example.com"]
)
def test_what_is_not_an_address_is_refused_saying_so(raw):
    assert refusal(raw) == ("Please enter a valid email address.", "email")


@given(
    st.from_regex(r"[a-z0-9._+-]{1,20}@[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True),
    st.sampled_from(["", " ", "\t", "\n ", "  "]),
    st.sampled_from(["", " ", "\r\n", "\t "]),
)
def test_an_address_is_kept_as_typed_without_the_spaces_around_it(address, before, after):
    assert orders.normalise_email(before + address + after) == address
