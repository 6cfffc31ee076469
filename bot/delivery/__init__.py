"""Delivery: outbox rows go out at the platform's pace, and every outcome is recorded."""

# People queued, or messages claimed, per transaction when sending in bulk: each batch's rows,
# parameters and messages are garbage a moment later, but the memory they took mostly stays
# with the process (bench/memory.py: 1,000 a batch left each process several MB larger).
BULK_BATCH = 250
