"""Admin for report schedules, generated reports and deliveries."""
