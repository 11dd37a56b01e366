"""The parts of ``generate_data``: people, per-client records, the audit chain, bulk writes."""
