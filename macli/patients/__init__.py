"""Patients and providers: who is seen and who sees them."""
