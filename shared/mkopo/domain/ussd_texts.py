"""Every USSD screen's words, by key: the one catalogue, in English, translated by ``mkopo.domain.i18n``.

Screens are plain ASCII in every language (the provider advises against special characters) and at most
182 characters once filled in; ``text`` translates and formats one entry. Placeholders are named, so a
translation may reorder them. The keys are stable; the English text is the msgid of the translations.
"""

from __future__ import annotations

from mkopo.domain.i18n import LANGUAGES, N_, translate

__all__ = ["EN", "LANGUAGES", "SCREEN_LIMIT", "text"]

SCREEN_LIMIT = 182

EN: dict[str, str] = {
    "choose_language": N_("Welcome to mkopo\n1. English\n2. Kiswahili\n3. Francais"),
    "ask_name": N_("Enter your full name"),
    "ask_new_pin": N_("Choose a 4-digit PIN"),
    "ask_confirm_pin": N_("Enter the PIN again to confirm"),
    "pin_mismatch": N_("The PINs do not match. Choose a 4-digit PIN"),
    "pin_format": N_("A PIN is 4 digits. Try again"),
    "ask_pin": N_("Welcome {name}\nEnter your PIN"),
    "wrong_pin": N_("Wrong PIN. Try again"),
    "locked": N_("Too many wrong PINs. Try again after {minutes} minutes."),
    "main_menu": N_(
        "mkopo\n1. Borrow\n2. My loan\n3. Repay\n4. My limit\n5. Mini-statement\n6. Language\n7. Change PIN"
    ),
    "ask_amount": N_("Enter amount to borrow ({currency})\nAvailable: {available}"),
    "no_limit": N_("You cannot borrow now: {reason}\n00. Main menu"),
    "no_offers": N_("No offers for that amount. Enter another amount"),
    "offers": N_("{lines}\nChoose an offer"),
    "offer_line": N_("{number}. {lender} pay {total} by {due}"),
    "confirm_offer": N_(
        "{lender}: get {amount}, interest {interest}, fees {fees}, pay {total} by {due}. Enter PIN to accept"
    ),
    "applied": N_("Thank you. Your loan is being processed. We will send you an SMS."),
    "loan": N_(
        "Loan {status}\nBorrowed {principal}\nOutstanding {outstanding}\nNext due {due}\n00. Main menu"
    ),
    "loan_active": N_("active"),
    "loan_repaid": N_("repaid"),
    "no_loan": N_("You have no loan.\n00. Main menu"),
    "loan_new_plan": N_(
        "Outstanding {outstanding}\nNew plan offered: {installments} payments from {first_due}, "
        "{total} in all\n1. Accept new plan\n00. Main menu"
    ),
    "plan_accepted": N_("Your new plan is in force. We will send you an SMS."),
    "ask_repay": N_("Outstanding {outstanding}\nEnter amount to repay"),
    "repay_sent": N_("Approve the payment of {amount} on your phone. We will send you an SMS."),
    "limit": N_("Limit {limit}\nAvailable {available}\nRepay on time to reach {next}\n00. Main menu"),
    "statement": N_("{lines}\n00. Main menu"),
    "statement_empty": N_("No money movements yet.\n00. Main menu"),
    "movement_out": N_("{date} received {amount}"),
    "movement_in": N_("{date} paid {amount}"),
    "language_saved": N_("Language saved.\n00. Main menu"),
    "ask_old_pin": N_("Enter your current PIN"),
    "pin_changed": N_("Your PIN is changed."),
    "registered": N_("Welcome {name}. You are registered.\n{menu}"),
    "invalid_choice": N_("Invalid choice. Try again"),
    "invalid_amount": N_("Enter an amount in whole {currency}, e.g. 1000"),
    "invalid_name": N_("Enter a name of 2 to 40 letters"),
    "refused": N_("{reason}\n00. Main menu"),
    "bad_request": N_("Sorry, we could not read that request. Please dial again."),
    "not_your_session": N_("This session belongs to another phone. Please dial again."),
    "session_error": N_("This session has ended. Please dial again."),
    "account_closed": N_("This account cannot be used. Call customer care."),
    "try_later": N_("Sorry, the service is busy. Please try again later."),
    "reason_active_loan": N_("you have a loan to repay first"),
    "reason_limit": N_("your limit is used"),
}


def text(key: str, language: str | None = None, **values: object) -> str:
    """The screen text ``key`` in ``language`` (English for an unknown language), filled in."""
    return translate(EN[key], language).format(**values)
