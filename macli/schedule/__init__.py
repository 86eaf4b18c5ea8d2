"""Appointments: booking without double-booking, working hours, recurrence, calendars."""
