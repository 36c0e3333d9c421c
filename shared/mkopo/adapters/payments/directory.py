"""Which mobile-money provider serves each market, and the signed callback URLs they call back on.

Kenya (KES) pays out by M-Pesa B2C and collects by STK Push, both with callbacks; every other market
uses MTN MoMo disbursement and requesttopay, polled. A callback URL carries a per-request token:
HMAC-SHA256(callback key, kind/id), compared in constant time when the callback arrives.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cached_property

from mkopo.adapters.payments.momo import MomoPayoutProvider, MomoSession
from mkopo.adapters.payments.momo_collection import MomoCollectionProvider
from mkopo.adapters.payments.momo_profile import MomoProfile
from mkopo.adapters.payments.mpesa import DarajaSession, MpesaPayoutProvider, MpesaStkCollectionProvider
from mkopo.config import Settings
from mkopo.service.ports import CollectionProvider, PayoutProvider

MPESA_CURRENCIES = frozenset({"KES"})


def callback_token(key: str, kind: str, object_id: str) -> str:
    return hmac.new(key.encode(), f"{kind}/{object_id}".encode(), hashlib.sha256).hexdigest()[:40]


def verify_callback_token(key: str, kind: str, object_id: str, token: str) -> bool:
    return hmac.compare_digest(callback_token(key, kind, object_id), token)


class PaymentDirectory:
    """The Payments port: providers per currency, built lazily and shared across requests."""

    def __init__(self, settings: Settings) -> None:
        self._s = settings

    def callback_url(self, provider: str, kind: str, object_id: str) -> str:
        token = callback_token(self._s.callback_signing_key.get_secret_value(), kind, object_id)
        return f"{self._s.public_base_url.rstrip('/')}/v1/callbacks/{provider}/{kind}/{object_id}/{token}"

    @cached_property
    def _daraja(self) -> DarajaSession:
        s = self._s
        return DarajaSession(
            base_url=s.mpesa_base_url,
            consumer_key=s.mpesa_consumer_key.get_secret_value(),
            consumer_secret=s.mpesa_consumer_secret.get_secret_value(),
        )

    @cached_property
    def _momo_payouts(self) -> MomoPayoutProvider:
        return MomoPayoutProvider.from_settings(self._s)

    @cached_property
    def _momo_collections(self) -> MomoCollectionProvider:
        s = self._s
        session = MomoSession(
            base_url=s.momo_base_url,
            product="collection",
            api_user=s.momo_api_user.get_secret_value(),
            api_key=s.momo_api_key.get_secret_value(),
            subscription_key=s.momo_subscription_key.get_secret_value(),
            target_environment=s.momo_target_environment,
        )
        return MomoCollectionProvider(session=session, profile=MomoProfile.from_settings(s))

    def payout_provider(self, currency: str, application_id: str) -> PayoutProvider:
        if currency not in MPESA_CURRENCIES:
            return self._momo_payouts
        s = self._s
        return MpesaPayoutProvider(
            session=self._daraja,
            shortcode=s.mpesa_shortcode,
            initiator_name=s.mpesa_initiator_name,
            security_credential=s.mpesa_security_credential.get_secret_value(),
            result_url=self.callback_url("mpesa", "b2c", application_id),
            queue_timeout_url=self.callback_url("mpesa", "timeout", application_id),
            status_result_url=self.callback_url("mpesa", "status", application_id),
        )

    def collection_provider(self, currency: str, repayment_id: str) -> CollectionProvider:
        if currency not in MPESA_CURRENCIES:
            return self._momo_collections
        s = self._s
        return MpesaStkCollectionProvider(
            session=self._daraja,
            shortcode=s.mpesa_shortcode,
            passkey=s.mpesa_passkey.get_secret_value(),
            callback_url=self.callback_url("mpesa", "stk", repayment_id),
        )

    def collection_callback_url(self, currency: str, repayment_id: str) -> str | None:
        return self.callback_url("mpesa", "stk", repayment_id) if currency in MPESA_CURRENCIES else None
