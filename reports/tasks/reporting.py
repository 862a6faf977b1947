"""Celery tasks that dispatch, render and deliver scheduled reports."""
