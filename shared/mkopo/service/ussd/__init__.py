"""The USSD channel: a small menu state machine over the same services the JSON API uses."""
