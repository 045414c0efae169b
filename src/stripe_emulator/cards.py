"""Stripe's test cards: what each number does, and how card input is validated."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What happens when a card pays."""

    decline_code: str | None = None  # None: the charge succeeds
    code: str = "card_declined"
    message: str = "Your card was declined."
    three_d_secure: bool = False
    dispute: bool = False
    inquiry: bool = False  # the dispute starts as an inquiry (warning_needs_response)
    refund_fails: bool = False


SUCCESS = Outcome()

_DECLINED = "Your card was declined."
TEST_CARDS: dict[str, Outcome] = {
    "4242424242424242": SUCCESS,
    "4000056655665556": SUCCESS,
    "5555555555554444": SUCCESS,
    "2223003122003222": SUCCESS,
    "378282246310005": SUCCESS,
    "6011111111111117": SUCCESS,
    "4000000000000002": Outcome("generic_decline"),
    "4000000000009995": Outcome("insufficient_funds", message="Your card has insufficient funds."),
    "4000000000009987": Outcome("lost_card"),
    "4000000000009979": Outcome("stolen_card"),
    "4000000000000069": Outcome("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": Outcome(
        "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."
    ),
    "4000000000000119": Outcome(
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "4000002500003155": Outcome(three_d_secure=True),
    "4000002760003184": Outcome(three_d_secure=True),
    "4000000000003220": Outcome(three_d_secure=True),
    "4000008260003178": Outcome(
        "insufficient_funds", message="Your card has insufficient funds.", three_d_secure=True
    ),
    "4000000000000259": Outcome(dispute=True),
    "4000000000001976": Outcome(dispute=True, inquiry=True),
    "4000000000005126": Outcome(refund_fails=True),
}

# The `pm_card_*` shorthands Stripe accepts in test mode, by the card each stands for.
PAYMENT_METHOD_SHORTHANDS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_createDispute": "4000000000000259",
    "pm_card_createDisputeInquiry": "4000000000001976",
    "pm_card_refundFail": "4000000000005126",
}


@dataclass(frozen=True)
class CardInputError:
    """Card data Stripe refuses before trying to charge it."""

    code: str
    message: str
    param: str


def brand(number: str) -> str:
    """The card network, from the number's prefix."""
    if number.startswith(("34", "37")):
        return "amex"
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65", "644", "645", "646", "647", "648", "649")):
        return "discover"
    return "unknown"


def luhn_valid(number: str) -> bool:
    """The Luhn checksum every card number carries."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def outcome(number: str) -> Outcome:
    """What a valid number does; any other valid number succeeds, as in Stripe's test mode."""
    return TEST_CARDS.get(number, SUCCESS)


def validate(
    number: str, exp_month: int, exp_year: int, cvc: str | None, today: datetime.date | None = None
) -> CardInputError | None:
    """Stripe's checks of card input, in the order it applies them."""
    today = today or datetime.date.today()
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return CardInputError("invalid_number", "Your card number is invalid.", "number")
    if not luhn_valid(number):
        # Stripe's test number for this is 4242424242424241: refused before any charge.
        return CardInputError("incorrect_number", "Your card number is incorrect.", "number")
    if not 1 <= exp_month <= 12:
        return CardInputError(
            "invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month"
        )
    if exp_year < 100:
        exp_year += 2000
    if exp_year < today.year or exp_year > today.year + 50:
        return CardInputError(
            "invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year"
        )
    if exp_year == today.year and exp_month < today.month:
        return CardInputError(
            "invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month"
        )
    if cvc is not None:
        wanted = 4 if brand(number) == "amex" else 3
        if not cvc.isdigit() or len(cvc) != wanted:
            return CardInputError("invalid_cvc", "Your card's security code is invalid.", "cvc")
    return None
