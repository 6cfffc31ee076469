"""Delivery: outbox rows go out at the platform's pace, and every outcome is recorded."""
