"""Signed, canonical, hash-chained records: the verifiable output of Mandate."""
