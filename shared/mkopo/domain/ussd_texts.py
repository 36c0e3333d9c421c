"""Every USSD screen's words, by key: the one catalogue (English now; other languages plug in here).

Screens are plain ASCII (the provider advises against special characters) and at most 182 characters
once filled in; ``text`` formats one entry. Placeholders are named, so a translation may reorder them.
"""

from __future__ import annotations

LANGUAGES = ("en", "sw", "fr")
SCREEN_LIMIT = 182

EN: dict[str, str] = {
    "choose_language": "Welcome to mkopo\n1. English\n2. Kiswahili\n3. Francais",
    "ask_name": "Enter your full name",
    "ask_new_pin": "Choose a 4-digit PIN",
    "ask_confirm_pin": "Enter the PIN again to confirm",
    "pin_mismatch": "The PINs do not match. Choose a 4-digit PIN",
    "pin_format": "A PIN is 4 digits. Try again",
    "ask_pin": "Welcome {name}\nEnter your PIN",
    "wrong_pin": "Wrong PIN. Try again",
    "locked": "Too many wrong PINs. Try again after {minutes} minutes.",
    "main_menu": "mkopo\n1. Borrow\n2. My loan\n3. Repay\n4. My limit\n5. Mini-statement\n6. Language\n"
    "7. Change PIN",
    "ask_amount": "Enter amount to borrow ({currency})\nAvailable: {available}",
    "no_limit": "You cannot borrow now: {reason}\n00. Main menu",
    "no_offers": "No offers for that amount. Enter another amount",
    "offers": "{lines}\nChoose an offer",
    "offer_line": "{number}. {lender} pay {total} by {due}",
    "confirm_offer": "{lender}: get {amount}, interest {interest}, fees {fees}, pay {total} by {due}. "
    "Enter PIN to accept",
    "applied": "Thank you. Your loan is being processed. We will send you an SMS.",
    "loan": "Loan {status}\nBorrowed {principal}\nOutstanding {outstanding}\nNext due {due}\n00. Main menu",
    "no_loan": "You have no loan.\n00. Main menu",
    "loan_new_plan": "Outstanding {outstanding}\nNew plan offered: {installments} payments from {first_due}, "
    "{total} in all\n1. Accept new plan\n00. Main menu",
    "plan_accepted": "Your new plan is in force. We will send you an SMS.",
    "ask_repay": "Outstanding {outstanding}\nEnter amount to repay",
    "repay_sent": "Approve the payment of {amount} on your phone. We will send you an SMS.",
    "limit": "Limit {limit}\nAvailable {available}\nRepay on time to reach {next}\n00. Main menu",
    "statement": "{lines}\n00. Main menu",
    "statement_empty": "No money movements yet.\n00. Main menu",
    "movement_out": "{date} received {amount}",
    "movement_in": "{date} paid {amount}",
    "language_saved": "Language saved.\n00. Main menu",
    "ask_old_pin": "Enter your current PIN",
    "pin_changed": "Your PIN is changed.",
    "registered": "Welcome {name}. You are registered.\n{menu}",
    "invalid_choice": "Invalid choice. Try again",
    "invalid_amount": "Enter an amount in whole {currency}, e.g. 1000",
    "invalid_name": "Enter a name of 2 to 40 letters",
    "refused": "{reason}\n00. Main menu",
    "bad_request": "Sorry, we could not read that request. Please dial again.",
    "not_your_session": "This session belongs to another phone. Please dial again.",
    "session_error": "This session has ended. Please dial again.",
    "account_closed": "This account cannot be used. Call customer care.",
    "try_later": "Sorry, the service is busy. Please try again later.",
    "reason_active_loan": "you have a loan to repay first",
    "reason_limit": "your limit is used",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN}


def text(key: str, language: str | None = None, **values: object) -> str:
    """The screen text ``key`` in ``language`` (English when that language has no catalogue yet)."""
    catalogue = CATALOGUES.get(language or "en", EN)
    return catalogue.get(key, EN[key]).format(**values)
