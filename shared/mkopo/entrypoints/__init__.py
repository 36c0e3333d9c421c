"""Glue between Cloud Functions triggers and the service layer (decode, validate, map results)."""
