"""Tests of the client portal (/client) and the family view (/family)."""
