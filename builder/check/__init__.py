"""Checking annotations: validation of records and exports, agreement between annotators, adjudication."""
