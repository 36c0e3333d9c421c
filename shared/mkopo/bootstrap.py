"""The one wiring place: settings → adapters → handlers. Clients are created lazily and cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from mkopo.config import Settings, get_settings

if TYPE_CHECKING:  # imported lazily below: cold start matters
    from google.cloud import firestore

    from mkopo.adapters.bigquery import BigQueryEventSink
    from mkopo.adapters.bigquery_portfolio import BigQueryPortfolioReader
    from mkopo.adapters.credit_data import SandboxCreditData
    from mkopo.adapters.firestore import FirestoreStore
    from mkopo.adapters.firestore.dead_letters import FirestoreDeadLetterBook
    from mkopo.adapters.firestore.ussd import FirestoreUssdSessions
    from mkopo.adapters.firestore_identity import FirestoreIdentityStore
    from mkopo.adapters.lenders.catalogue import CatalogueLender
    from mkopo.adapters.payments.directory import PaymentDirectory
    from mkopo.adapters.pubsub import PubSubInbox, PubSubPublisher
    from mkopo.adapters.security import Argon2Hasher, JwtTokens
    from mkopo.domain.policy import DecisionPolicy
    from mkopo.domain.scorecard import Scorecard
    from mkopo.service.ports import BureauSink, SmsChannel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Container:
    """Everything a function needs, built on first use."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def firestore_client(self) -> firestore.Client:
        from google.cloud import firestore

        from mkopo import metering

        if metering.folder() is not None:  # make cost: every read and write counted at the channel
            from mkopo.adapters.firestore.metered import MeteredClient

            return MeteredClient(project=self.settings.project_id)
        return firestore.Client(project=self.settings.project_id)

    @cached_property
    def store(self) -> FirestoreStore:
        from mkopo.adapters.firestore import FirestoreStore

        return FirestoreStore(self.firestore_client)

    @cached_property
    def publisher(self) -> PubSubPublisher:
        from mkopo.adapters.pubsub import PubSubPublisher

        return PubSubPublisher(self.settings.project_id)

    @cached_property
    def inbox(self) -> PubSubInbox:
        from mkopo.adapters.pubsub import PubSubInbox

        return PubSubInbox(self.settings.project_id)

    @cached_property
    def dead_letters(self) -> FirestoreDeadLetterBook:
        from mkopo.adapters.firestore.dead_letters import FirestoreDeadLetterBook

        return FirestoreDeadLetterBook(self.firestore_client)

    @cached_property
    def event_sink(self) -> BigQueryEventSink:
        from mkopo.adapters.bigquery import BigQueryEventSink, make_client

        s = self.settings
        client = make_client(s.project_id, s.bigquery_endpoint)
        return BigQueryEventSink(client, f"{s.project_id}.{s.bigquery_dataset}.{s.bigquery_events_table}")

    @cached_property
    def portfolio_reader(self) -> BigQueryPortfolioReader:
        """The dashboard's reader of the analytics views (the BigQuery client is imported on first use)."""
        from mkopo.adapters.bigquery import make_client
        from mkopo.adapters.bigquery_portfolio import BigQueryPortfolioReader

        s = self.settings
        client = make_client(s.project_id, s.bigquery_endpoint)
        dataset = f"{s.project_id}.{s.bigquery_dataset}"
        return BigQueryPortfolioReader(
            client, dataset, f"{dataset}.{s.bigquery_events_table}", timeout_s=s.warehouse_timeout_s
        )

    @cached_property
    def payments(self) -> PaymentDirectory:
        from mkopo.adapters.payments.directory import PaymentDirectory

        return PaymentDirectory(self.settings)

    @cached_property
    def credit_data(self) -> SandboxCreditData:
        from mkopo.adapters.credit_data import SandboxCreditData

        return SandboxCreditData()

    @cached_property
    def sms_channel(self) -> SmsChannel:
        s = self.settings
        if s.sms_channel == "recording":
            from mkopo.adapters.sms import RecordingSmsChannel

            return RecordingSmsChannel(self.firestore_client)
        import httpx

        from mkopo.adapters.africastalking import AfricasTalkingSms

        return AfricasTalkingSms(
            base_url=s.at_base_url,
            username=s.at_username,
            api_key=s.at_api_key.get_secret_value(),
            sender_id=s.at_sender_id,
            timeout=httpx.Timeout(s.sms_timeout_s, connect=3.0),
        )

    @cached_property
    def bureau_sink(self) -> BureauSink:
        """The credit-bureau files: a Cloud Storage bucket when one is configured, else a local folder."""
        from mkopo.adapters.bureau_files import FolderBureauSink, GcsBureauSink

        s = self.settings
        return GcsBureauSink(s.bureau_bucket) if s.bureau_bucket else FolderBureauSink(s.bureau_folder)

    @cached_property
    def hasher(self) -> Argon2Hasher:
        from mkopo.adapters.security import Argon2Hasher

        return Argon2Hasher()

    @cached_property
    def tokens(self) -> JwtTokens:
        from mkopo.adapters.security import JwtTokens

        return JwtTokens.from_settings(self.settings)

    @cached_property
    def lenders(self) -> tuple[CatalogueLender, ...]:
        from mkopo.adapters.lenders import default_lenders

        return default_lenders()

    @cached_property
    def scorecard(self) -> Scorecard:
        from mkopo.adapters.points_table import load_points_table

        return load_points_table(self.settings.scorecard_version, self.settings.models_dir)

    @cached_property
    def challenger(self) -> Scorecard | None:
        from mkopo.adapters.points_table import load_points_table

        version = self.settings.challenger_version
        return load_points_table(version, self.settings.models_dir) if version else None

    @cached_property
    def policy(self) -> DecisionPolicy:
        return self.settings.decision_policy()

    @cached_property
    def identity(self) -> FirestoreIdentityStore:
        from mkopo.adapters.firestore_identity import FirestoreIdentityStore

        return FirestoreIdentityStore(self.firestore_client, self.store)

    @cached_property
    def ussd_sessions(self) -> FirestoreUssdSessions:
        from mkopo.adapters.firestore.ussd import FirestoreUssdSessions

        return FirestoreUssdSessions(self.firestore_client)

    @cached_property
    def audit_sink(self) -> BigQueryEventSink:
        from mkopo.adapters.bigquery_audit import audit_sink

        s = self.settings
        return audit_sink(s.project_id, s.bigquery_endpoint, s.bigquery_dataset)

    @property
    def offer_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.offer_ttl_s)

    def now(self) -> datetime:
        return utcnow()


@lru_cache(maxsize=1)
def container() -> Container:
    """The process's one container: only functions/main.py and the CLI/ops tools call this."""
    built = Container()
    configure_tracing(built.settings)
    return built


def configure_tracing(settings: Settings) -> None:
    """Send this process's spans where the settings say (nowhere unless a file or the cloud is named)."""
    from mkopo import config, tracing

    kind = config.trace_exporter(settings)
    if kind == "none":
        return
    from mkopo.adapters.trace_export import exporter_for

    exporter = exporter_for(
        kind, project_id=settings.project_id, service=tracing.service_name(), path=settings.trace_file
    )
    if exporter is not None:
        tracing.configure(exporter)
