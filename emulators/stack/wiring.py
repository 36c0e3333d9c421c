"""Wiring a running stack: the BigQuery events table, Firestore reset, the Pub/Sub topology."""

from __future__ import annotations

import functools
import urllib.request
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from emulators.stack.base import StackBase
from emulators.stack.ports import StackError
from emulators.stack.probes import NO_PROXY
from emulators.stack.tooling import events_table, ignore_exists
from mkopo import topology

if TYPE_CHECKING:
    from google.cloud import bigquery


class Wiring(StackBase):
    """Create what the emulators must hold for the platform to run (idempotent)."""

    def setup_bigquery(self) -> None:
        """Create the analytics dataset, the events table and the saved views the console's dashboard reads
        (``analytics/sql``, as Terraform creates them in the cloud); idempotent."""
        from analytics import views

        client = self.bigquery_client()
        try:
            client.create_dataset(f"{self.project}.{self.bigquery_dataset}", exists_ok=True)
            client.create_table(events_table(self.events_table_id), exists_ok=True)
            views.create_views(client, project=self.project, dataset=self.bigquery_dataset)
        finally:
            client.close()

    def bigquery_client(self) -> bigquery.Client:
        """A BigQuery client on the emulator (anonymous credentials)."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.bigquery_url},
        )

    def reset_firestore(self, project: str | None = None) -> None:
        """Delete every document in the emulator's default database (of this stack's project, or another)."""
        database = f"projects/{project or self.project}/databases/(default)"
        url = f"http://{self.firestore_host}/emulator/v1/{database}/documents"
        request = urllib.request.Request(url, method="DELETE")
        with NO_PROXY.open(request, timeout=10) as response:
            if int(response.status) != 200:
                raise StackError(f"firestore reset answered {response.status}")

    def pubsub_admin(self) -> tuple[Any, Any]:
        """GAPIC publisher and subscriber clients on this stack's Pub/Sub emulator (insecure channel)."""
        import grpc
        from google.pubsub_v1 import PublisherClient, SubscriberClient
        from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
        from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

        publisher = PublisherClient(
            transport=PublisherGrpcTransport(channel=grpc.insecure_channel(self.pubsub_host))
        )
        subscriber = SubscriberClient(
            transport=SubscriberGrpcTransport(channel=grpc.insecure_channel(self.pubsub_host))
        )
        return publisher, subscriber

    def apply_topology(self, *, push: bool = True) -> None:
        """Create every topic, the dead-letter inbox and (with ``push``) each function's subscription."""
        publisher, subscriber = self.pubsub_admin()
        try:
            for topic in topology.TOPICS:
                ignore_exists(functools.partial(publisher.create_topic, name=self.topic_path(topic)))
            inbox = {
                "name": self.subscription_path(topology.DEAD_LETTER_INBOX),
                "topic": self.topic_path(topology.DEAD_LETTER),
            }
            ignore_exists(functools.partial(subscriber.create_subscription, request=inbox))
            for sub in topology.subscriptions() if push else ():
                request = self.subscription_request(sub)
                ignore_exists(functools.partial(subscriber.create_subscription, request=request))
        finally:
            publisher.transport.close()
            subscriber.transport.close()

    def subscription_request(self, sub: topology.Subscription) -> dict[str, Any]:
        """The CreateSubscription request for one subscription (push to its function, or pulled by it),
        with the function's retry and dead-letter policy."""
        retry = sub.function.retry
        push = {"push_config": {"push_endpoint": self.push_endpoint(sub)}} if sub.push else {}
        return {
            "name": self.subscription_path(sub.name),
            "topic": self.topic_path(sub.topic),
            **push,
            "ack_deadline_seconds": retry.ack_deadline_s,
            "retry_policy": {
                "minimum_backoff": timedelta(seconds=retry.minimum_backoff_s),
                "maximum_backoff": timedelta(seconds=retry.maximum_backoff_s),
            },
            "dead_letter_policy": {
                "dead_letter_topic": self.topic_path(sub.dead_letter_topic),
                "max_delivery_attempts": retry.max_delivery_attempts,
            },
        }
