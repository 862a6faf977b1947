"""URLs of tests/tracker/test_logs.py: the project's, plus a view that logs and enqueues a task."""

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path

from tracker.publishing import send
from tracker.urls import urlpatterns as project_urlpatterns

logger = logging.getLogger("tests.logs")


def enqueue(request: HttpRequest) -> HttpResponse:
    logger.info("the view enqueues a task")
    send("tests.tracker.test_logs.log_a_line_task", kwargs={"text": "the task runs"})
    return HttpResponse("queued")


urlpatterns = [*project_urlpatterns, path("test-enqueue/", enqueue)]
