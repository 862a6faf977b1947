"""Cursor pagination: stable under inserts, with a bounded page size."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "pk"
    page_size_query_description = "Results per page (1 to 500; default 50)."
    cursor_query_description = (
        "The cursor of the page to fetch, from a previous page's next or previous link."
    )
