"""The admin's answer to a rule only a service knows: a message, and nothing saved.

The admin's forms run the models' rules (``clean()`` and constraints) field by field; a service
may still refuse the whole change (a hidden activity named, a version that moved on, a scope
left). The admin's request is one transaction, so when the service raises, nothing of the
change is kept; this mixin turns the error into a message on the same page instead of a 500.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


def error_lines(error: ValidationError) -> str:
    """A ValidationError as one line: "field: message; other: message"."""
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return "; ".join(error.messages)


class NothingHalfSaved:
    """Mixed into a ModelAdmin whose saves go through services."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]  # a ModelAdmin's
        except ValidationError as error:  # the admin's transaction was rolled back
            self.message_user(request, f"Nothing was saved: {error_lines(error)}", messages.ERROR)  # type: ignore[attr-defined]  # a ModelAdmin's
            return HttpResponseRedirect(request.get_full_path())
