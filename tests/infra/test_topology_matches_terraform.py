"""The Terraform module mirrors shared/mkopo/topology.py exactly, and its resources are driven by that mirror.

Two layers: (1) the `locals` in modules/platform/topology.tf equal what topology.py defines; (2) the
resources take names, topics, entry points, retry and dead-letter settings from those locals (for_each
+ each.value), so equal locals mean equal infrastructure. Hard-coded keys such as fn["exporter"] must
name something topology still defines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mkopo import topology, warehouse_schema
from mkopo.config import Settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def expr(name: str) -> str:
    return "${" + name + "}"


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` (static), failing if absent or repeated."""
    value = body.get(name)
    assert isinstance(value, list) and len(value) == 1, f"expected one {name!r} block, got {value!r}"
    return value[0]


def dynamic(body: dict[str, Any], name: str) -> dict[str, Any]:
    for item in body.get("dynamic", []):
        if name in item:
            return item[name]
    raise AssertionError(f"no dynamic {name!r} block")


def retry_dict(policy: topology.RetryPolicy) -> dict[str, int]:
    return {
        "minimum_backoff_s": policy.minimum_backoff_s,
        "maximum_backoff_s": policy.maximum_backoff_s,
        "max_delivery_attempts": policy.max_delivery_attempts,
        "ack_deadline_s": policy.ack_deadline_s,
    }


# --- (1) the mirror equals topology.py ---------------------------------------------------------------
def test_topics(platform: dict[str, Any]) -> None:
    local = platform["locals"]
    assert local["topics"] == list(topology.TOPICS)
    assert local["dead_letter_topic"] == topology.DEAD_LETTER
    assert local["dead_letter_inbox"] == topology.DEAD_LETTER_INBOX


def test_functions(platform: dict[str, Any]) -> None:
    expected = {
        fn.name: {
            "entry_point": fn.entry_point,
            "trigger": fn.trigger,
            "topics": list(fn.topics),
            "routes": list(fn.routes),
            "schedule": fn.schedule,
            "secrets": list(fn.secrets),
            "retry": retry_dict(fn.retry),
            "analytics": fn.analytics,
            "reads_analytics": fn.reads_analytics,
        }
        for fn in topology.FUNCTIONS
    }
    assert platform["locals"]["functions"] == expected


def test_subscriptions(platform: dict[str, Any]) -> None:
    expected = {
        sub.name: {
            "function": sub.function.name,
            "topic": sub.topic,
            "push": sub.push,
            **retry_dict(sub.function.retry),
        }
        for sub in topology.subscriptions()
    }
    assert platform["locals"]["subscriptions"] == expected
    assert {sub.dead_letter_topic for sub in topology.subscriptions()} == {
        platform["locals"]["dead_letter_topic"]
    }


def test_push_or_pull_follows_the_trigger() -> None:
    """Pub/Sub-triggered functions get their subscriptions pushed; scheduled ones with topics pull theirs.
    A function of any other trigger with topics would get a subscription nobody drains."""
    for fn in topology.FUNCTIONS:
        if fn.topics:
            assert fn.trigger in {"pubsub", "schedule"}, fn.name
        if fn.trigger == "pubsub":
            assert fn.topics, fn.name
    for sub in topology.subscriptions():
        assert sub.push == (sub.function.trigger == "pubsub"), sub.name


def test_secrets(platform: dict[str, Any]) -> None:
    local = platform["locals"]
    assert sorted(local["secrets"]) == sorted({s for fn in topology.FUNCTIONS for s in fn.secrets})
    assert set(local["secret_env"]) == set(local["secrets"]), "every secret needs its MKOPO_* variable"
    settings_env = {f"MKOPO_{name.upper()}" for name in Settings.model_fields}
    assert set(local["secret_env"].values()) <= settings_env, "secret_env names a variable config.py ignores"


def test_publishers_and_firestore_maps_name_real_things(platform: dict[str, Any]) -> None:
    local = platform["locals"]
    names = {fn.name for fn in topology.FUNCTIONS}
    assert set(local["publishes"]) <= names
    assert {t for topics in local["publishes"].values() for t in topics} <= set(topology.TOPICS)
    # Every consumer may dead-letter poison messages itself (mkopo.entrypoints.pubsub.handle).
    for fn in topology.FUNCTIONS:
        if fn.trigger == "pubsub":
            assert topology.DEAD_LETTER in local["publishes"].get(fn.name, []), fn.name


def test_gcp_name_limits() -> None:
    for fn in topology.FUNCTIONS:
        # service account id mkopo-fn-<name>: 6-30 chars, [a-z][-a-z0-9]*[a-z0-9]
        assert re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", f"mkopo-fn-{fn.name}"), fn.name
        # Cloud Run service (function) name, NEG and backend names mkopo-api-<name> (<= 63)
        assert re.fullmatch(r"[a-z][-a-z0-9]{0,47}[a-z0-9]", fn.name), fn.name
    for name in (*topology.TOPICS, topology.DEAD_LETTER_INBOX, *(s.name for s in topology.subscriptions())):
        assert re.fullmatch(r"[A-Za-z][-A-Za-z0-9_.~+%]{2,254}", name) and not name.startswith("goog"), name
    for fn in topology.FUNCTIONS:
        retry = fn.retry
        assert 5 <= retry.max_delivery_attempts <= 100, fn.name  # Pub/Sub dead-letter bounds
        assert 0 <= retry.minimum_backoff_s <= retry.maximum_backoff_s <= 600, fn.name
        assert 10 <= retry.ack_deadline_s <= 600, fn.name


# --- (2) resources are driven by the mirror ---------------------------------------------------------
def test_topic_resources(platform: dict[str, Any]) -> None:
    topic = platform["resources"]["google_pubsub_topic.this"]
    assert topic["for_each"] == expr("toset(local.topics)")
    assert topic["name"] == expr("each.key")


SUBSCRIPTION_VIEWS = {
    "push_subscriptions": "{for name, sub in local.subscriptions : name => sub if sub.push}",
    "pull_subscriptions": "{for name, sub in local.subscriptions : name => sub if !sub.push}",
}


def assert_delivery_settings(sub: dict[str, Any]) -> None:
    """Topic, ack deadline, retry, dead-letter, expiry and retention come from the subscription's entry."""
    assert sub["name"] == expr("each.key")
    assert sub["topic"] == expr("google_pubsub_topic.this[each.value.topic].id")
    assert sub["ack_deadline_seconds"] == expr("each.value.ack_deadline_s")
    assert sub["message_retention_duration"] == "604800s"
    retry = block(sub, "retry_policy")
    assert retry["minimum_backoff"] == expr("each.value.minimum_backoff_s") + "s"
    assert retry["maximum_backoff"] == expr("each.value.maximum_backoff_s") + "s"
    dead = block(sub, "dead_letter_policy")
    assert dead["dead_letter_topic"] == expr("google_pubsub_topic.this[local.dead_letter_topic].id")
    assert dead["max_delivery_attempts"] == expr("each.value.max_delivery_attempts")
    assert block(sub, "expiration_policy")["ttl"] == ""


def test_one_subscription_resource_pushes_to_pubsub_functions_only(platform: dict[str, Any]) -> None:
    local = platform["locals"]
    for view, body in SUBSCRIPTION_VIEWS.items():
        assert local[view] == expr(body), view
    subs = {k: v for k, v in platform["resources"].items() if k.startswith("google_pubsub_subscription.")}
    assert set(subs) == {"google_pubsub_subscription.fn", "google_pubsub_subscription.dead_letter_inbox"}

    sub = subs["google_pubsub_subscription.fn"]
    assert sub["for_each"] == expr("local.subscriptions")
    assert_delivery_settings(sub)
    assert "push_config" not in sub, "push_config only for push entries (dynamic)"
    push = dynamic(sub, "push_config")
    assert push["for_each"] == expr("each.value.push ? [each.value] : []")
    config = block(push, "content")
    assert config["push_endpoint"].startswith(
        expr("google_cloudfunctions2_function.fn[push_config.value.function].service_config[0].uri")
    )
    oidc = block(config, "oidc_token")
    assert oidc["service_account_email"] == expr("google_service_account.pubsub_invoker.email")

    inbox = subs["google_pubsub_subscription.dead_letter_inbox"]
    assert inbox["name"] == expr("local.dead_letter_inbox")
    assert inbox["topic"] == expr("google_pubsub_topic.this[local.dead_letter_topic].id")
    assert "push_config" not in inbox, "the dead-letter inbox is a pull subscription"


def test_dead_lettering_covers_push_and_pull(platform: dict[str, Any]) -> None:
    """The Pub/Sub service agent must subscribe to every source subscription, push or pull, to forward."""
    agent = platform["resources"]["google_pubsub_subscription_iam_member.dead_letter_subscriber"]
    assert agent["for_each"] == expr("local.subscriptions")
    assert agent["subscription"] == expr("google_pubsub_subscription.fn[each.key].name")
    assert agent["role"] == "roles/pubsub.subscriber"
    assert agent["member"] == expr("local.pubsub_service_agent")
    publisher = platform["resources"]["google_pubsub_topic_iam_member.dead_letter_publisher"]
    assert publisher["topic"] == expr("google_pubsub_topic.this[local.dead_letter_topic].name")
    assert publisher["role"] == "roles/pubsub.publisher"
    assert publisher["member"] == expr("local.pubsub_service_agent")


def test_pulling_functions_subscribe_to_their_own_subscriptions_only(platform: dict[str, Any]) -> None:
    resources = platform["resources"]
    pulls = resources["google_pubsub_subscription_iam_member.fn_pulls"]
    assert pulls["for_each"] == expr("local.pull_subscriptions")
    assert pulls["subscription"] == expr("google_pubsub_subscription.fn[each.key].name")
    assert pulls["role"] == "roles/pubsub.subscriber"
    assert pulls["member"] == expr("google_service_account.fn[each.value.function].member")
    # Nothing broader: no subscriber/viewer role on a topic or the project, and no other function
    # identity on any subscription.
    for address, body in resources.items():
        role = body.get("role")
        if address.startswith(("google_project_iam_member.", "google_pubsub_topic_iam_member.")):
            assert role not in {"roles/pubsub.subscriber", "roles/pubsub.viewer", "roles/pubsub.editor"}, (
                address
            )
        if address.startswith("google_pubsub_subscription_iam_member."):
            assert address in {
                "google_pubsub_subscription_iam_member.fn_pulls",
                "google_pubsub_subscription_iam_member.dead_letter_subscriber",
            }, address
    assert not [
        k
        for k in resources
        if k.startswith(("google_pubsub_subscription_iam_binding.", "google_pubsub_subscription_iam_policy."))
    ]


def test_invokers_follow_the_trigger(platform: dict[str, Any]) -> None:
    """Push invoker for Pub/Sub-triggered functions only; the scheduler calls every scheduled function,
    the pulling exporters included."""
    local = platform["locals"]
    resources = platform["resources"]
    assert local["analytics_functions"] == expr(
        "{for name, fn in local.functions : name => fn if fn.analytics}"
    )
    push_invoker = resources["google_cloud_run_v2_service_iam_member.pubsub_invokes"]
    assert push_invoker["for_each"] == expr("local.pubsub_functions")
    assert push_invoker["member"] == expr("google_service_account.pubsub_invoker.member")
    scheduler_invoker = resources["google_cloud_run_v2_service_iam_member.scheduler_invokes"]
    assert scheduler_invoker["for_each"] == expr("local.scheduled_functions")
    assert scheduler_invoker["member"] == expr("google_service_account.scheduler_invoker.member")
    assert resources["google_cloud_scheduler_job.fn"]["for_each"] == expr("local.scheduled_functions")
    for sub in topology.subscriptions():
        if not sub.push:
            assert sub.function.trigger == "schedule" and sub.function.schedule == "* * * * *", sub.name


def test_exporters_linger_alone_inside_their_timeout(platform: dict[str, Any]) -> None:
    local = platform["locals"]
    fn = platform["resources"]["google_cloudfunctions2_function.fn"]
    service = block(fn, "service_config")
    is_pull = "contains(keys(local.analytics_functions), each.key)"
    assert service["environment_variables"] == expr(
        f"merge(local.function_env, {{for k, v in local.analytics_function_env : k => v if {is_pull}}})"
    )
    assert service["max_instance_count"] == expr(
        f"{is_pull} ? local.analytics_function_max_instances : "
        "lookup(var.max_instances, each.key, var.default_max_instances)"
    )
    assert local["analytics_function_max_instances"] == 1, "one writer per table"
    assert all(fn.trigger == "schedule" for fn in topology.FUNCTIONS if fn.analytics)
    linger = int(local["analytics_function_env"]["MKOPO_EXPORT_LINGER_S"])
    assert service["timeout_seconds"] == expr("local.function_timeout_s[each.key]")
    assert local["function_timeout_s"] == expr(
        '{for name, fn in local.functions : name => fn.trigger == "pubsub" ? fn.retry.ack_deadline_s : 60}'
    )
    timeout = 60  # what function_timeout_s gives a scheduled function
    for sub in topology.subscriptions():
        if not sub.push:
            # The last batch pulled during the linger must be written and acked before the run ends.
            assert linger + 10 <= timeout <= sub.function.retry.ack_deadline_s, sub.name


def test_pull_backlog_alert(platform: dict[str, Any]) -> None:
    alert = platform["resources"]["google_monitoring_alert_policy.pull_backlog"]
    assert alert["count"] == expr("length(local.pull_subscriptions) > 0 ? 1 : 0")
    assert alert["notification_channels"] == expr("local.notification_channels")
    condition = block(block(alert, "conditions"), "condition_threshold")
    assert (
        'metric.type = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"' in condition["filter"]
    )
    assert 'resource.type = "pubsub_subscription"' in condition["filter"]
    assert "keys(local.pull_subscriptions)" in condition["filter"]
    assert condition["comparison"] == "COMPARISON_GT"
    assert condition["threshold_value"] == expr("var.pull_backlog_max_age_s")
    assert platform["variables"]["pull_backlog_max_age_s"]["default"] == 600  # 10 minutes
    assert block(alert, "documentation")["content"]


def test_function_resources(platform: dict[str, Any]) -> None:
    fns = {k: v for k, v in platform["resources"].items() if k.startswith("google_cloudfunctions2_function.")}
    assert list(fns) == ["google_cloudfunctions2_function.fn"]
    fn = fns["google_cloudfunctions2_function.fn"]
    assert fn["for_each"] == expr("local.functions")
    assert fn["name"] == expr("each.key")
    build = block(fn, "build_config")
    assert build["runtime"] == "python311"
    assert build["entry_point"] == expr("each.value.entry_point")
    assert "event_trigger" not in fn, "Pub/Sub delivery is by our own push and pull subscriptions"
    service = block(fn, "service_config")
    assert service["service_account_email"] == expr("google_service_account.fn[each.key].email")
    secrets = dynamic(service, "secret_environment_variables")
    assert secrets["for_each"] == expr("toset(each.value.secrets)")
    # Derived views select by trigger.
    local = platform["locals"]
    for view, trigger in (
        ("http_functions", "http"),
        ("pubsub_functions", "pubsub"),
        ("scheduled_functions", "schedule"),
    ):
        assert local[view] == expr(
            f'{{for name, fn in local.functions : name => fn if fn.trigger == "{trigger}"}}'
        )
    assert {fn.trigger for fn in topology.FUNCTIONS} <= {"http", "pubsub", "schedule"}


def test_scheduler_resources(platform: dict[str, Any]) -> None:
    jobs = {k: v for k, v in platform["resources"].items() if k.startswith("google_cloud_scheduler_job.")}
    assert list(jobs) == ["google_cloud_scheduler_job.fn"]
    job = jobs["google_cloud_scheduler_job.fn"]
    assert job["for_each"] == expr("local.scheduled_functions")
    assert job["name"] == expr("each.key")
    assert job["schedule"] == expr("each.value.schedule")
    target = block(job, "http_target")
    assert target["uri"] == expr("google_cloudfunctions2_function.fn[each.key].service_config[0].uri")
    assert "oidc_token" in target
    assert all(fn.schedule for fn in topology.FUNCTIONS if fn.trigger == "schedule")


def test_secret_resources_hold_no_values(platform: dict[str, Any]) -> None:
    secret = platform["resources"]["google_secret_manager_secret.this"]
    assert secret["for_each"] == expr("toset(local.secrets)")
    assert secret["secret_id"] == expr("each.key")
    assert not [k for k in platform["resources"] if k.startswith("google_secret_manager_secret_version.")]
    access = platform["resources"]["google_secret_manager_secret_iam_member.fn_reads_secret"]
    assert access["for_each"] == expr("local.function_secrets")
    assert access["role"] == "roles/secretmanager.secretAccessor"


def test_routes_reach_their_functions(platform: dict[str, Any]) -> None:
    url_map = platform["resources"]["google_compute_url_map.api"]
    rule = dynamic(block(url_map, "path_matcher"), "path_rule")
    assert rule["for_each"] == expr("local.routes")
    content = rule["content"][0]
    assert content["paths"] == [expr("path_rule.key"), expr("path_rule.key") + "/*"]
    assert content["service"] == expr("google_compute_backend_service.api[path_rule.value].id")
    neg = platform["resources"]["google_compute_region_network_endpoint_group.api"]
    assert neg["for_each"] == expr("local.http_functions")
    # Path-prefix matching (exact prefix or prefix/...) with longest match is topology.route_for's rule.
    for fn in topology.FUNCTIONS:
        for route in fn.routes:
            assert topology.route_for(route) is fn and topology.route_for(route + "/x") is fn


def test_events_table_matches_analytics(platform: dict[str, Any]) -> None:
    table = platform["resources"]["google_bigquery_table.events"]
    partitioning = block(table, "time_partitioning")
    assert partitioning == {"type": "DAY", "field": warehouse_schema.PARTITION_FIELD, "__is_block__": True}
    assert table["clustering"] == list(warehouse_schema.CLUSTER_FIELDS)
    assert table["schema"] == expr('file("${path.module}/events_schema.json")')
    schema = json.loads((Path(platform["dir"]) / "events_schema.json").read_text())
    assert [(f["name"], f["type"], f["mode"], f["description"]) for f in schema] == list(
        warehouse_schema.EVENTS_SCHEMA
    )


def test_hard_coded_keys_name_topology_things(platform: dict[str, Any]) -> None:
    """fn["exporter"], this["dead_letter"]...: a rename in topology.py must not leave a dangling key."""
    names = {fn.name for fn in topology.FUNCTIONS} | set(topology.TOPICS)
    names |= {s for fn in topology.FUNCTIONS for s in fn.secrets}
    text = json.dumps([platform["resources"], platform["locals"], platform["outputs"]])
    keys = set(re.findall(r'\b(?:fn|this|api)\[\\"([^\\"]+)\\"\]', text))
    assert keys <= names, keys - names
    assert platform["locals"]["api_default_function"] in {
        fn.name for fn in topology.FUNCTIONS if fn.trigger == "http"
    }


def test_environments_use_the_module(environments: dict[str, dict[str, Any]]) -> None:
    for env, view in environments.items():
        assert view["modules"]["platform"]["source"] == "../../modules/platform", env
        assert "api_url" in view["outputs"], env
        [required] = [
            t["required_providers"][0]["google"] for t in view["terraform"] if "required_providers" in t
        ]
        assert required["source"] == "hashicorp/google" and required["version"].startswith("~> 6."), env


def test_every_exporter_may_write_and_query_bigquery(platform: dict[str, Any]) -> None:
    """Both pulling functions write a BigQuery table (events, audit) and query it for ids already there."""
    resources = platform["resources"]
    for address, role in (
        ("google_bigquery_dataset_iam_member.exporter_writes_events", "roles/bigquery.dataEditor"),
        ("google_project_iam_member.exporter_runs_queries", "roles/bigquery.jobUser"),
    ):
        grant = resources[address]
        assert grant["for_each"] == expr("local.analytics_functions"), address
        assert grant["role"] == role
        assert grant["member"] == expr("google_service_account.fn[each.key].member")
    assert {fn.name for fn in topology.FUNCTIONS if fn.analytics} == {"exporter", "audit-exporter"}


def test_each_analytics_reader_may_query_the_dataset_and_write_nothing_there(
    platform: dict[str, Any],
) -> None:
    """The dashboard and score monitoring query the analytics dataset (dataViewer, jobUser), write none."""
    resources = platform["resources"]
    for address, role in (
        ("google_bigquery_dataset_iam_member.analytics_reader_reads", "roles/bigquery.dataViewer"),
        ("google_project_iam_member.analytics_reader_runs_queries", "roles/bigquery.jobUser"),
    ):
        grant = resources[address]
        assert grant["for_each"] == expr("local.analytics_readers"), address
        assert (grant["role"], grant["member"]) == (role, expr("google_service_account.fn[each.key].member"))
    reads = resources["google_bigquery_dataset_iam_member.analytics_reader_reads"]
    assert reads["dataset_id"] == expr("google_bigquery_dataset.analytics.dataset_id")
    readers = {fn.name for fn in topology.FUNCTIONS if fn.reads_analytics}
    assert readers == {"backoffice", "score-stability"}
    assert not any(topology.function(name).analytics for name in readers)  # no dataEditor grant either
    named = {expr(f'google_service_account.fn["{name}"].member') for name in readers}
    assert not [a for a, body in resources.items() if body.get("member") in named and "bigquery" in a]
    assert "fn.reads_analytics" in str(platform["locals"]["analytics_readers"])
