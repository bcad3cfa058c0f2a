"""Event -> actions: shouts, evidence and notifications (see the alerts issue)."""
