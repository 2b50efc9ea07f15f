"""How contact details look to staff who may not see them."""

import pytest

from surveys.masking import mask_email, mask_phone, redact_addresses


@pytest.mark.parametrize(
    ("email", "shown"),
    [
        ("jane.doe@example.org", "j•••@example.org"),
        ("  J@x.nyc.gov ", "J•••@x.nyc.gov"),
        ("not-an-address", "•••"),
        ("", ""),
    ],
)
def test_mask_email_keeps_the_first_letter_and_the_domain(email, shown):
    assert mask_email(email) == shown


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("+12125550123", "+1 ••• ••• 0123"),
        ("(212) 555-0123", "••• 0123"),
        ("+442079460958", "+••• 0958"),
        ("123", "•••"),
        ("", ""),
    ],
)
def test_mask_phone_keeps_only_the_last_four_digits(phone, shown):
    assert mask_phone(phone) == shown


def test_redact_addresses_masks_every_address_in_free_text():
    text = (
        "21211: +12125550123 is not a mobile number. "
        "Bounce for jane.doe@example.org (ref 4521), call (718) 555-0100."
    )

    assert redact_addresses(text) == (
        "21211: +1 ••• ••• 0123 is not a mobile number. "
        "Bounce for j•••@example.org (ref 4521), call ••• 0100."
    )


def test_redact_addresses_leaves_request_numbers_alone():
    assert redact_addresses("About request 70000001") == "About request 70000001"
