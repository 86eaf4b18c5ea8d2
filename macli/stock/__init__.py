"""Supplies by lot and expiry: receive, use first-expiring-first, count, discard, reorder."""
