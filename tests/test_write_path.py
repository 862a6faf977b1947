"""Services are the only writers: no code outside ``*/services/`` writes a model by itself.

Every ``.py`` file of tracker/, missions/, partners/ and reports/ is parsed with ``ast`` (one test
per app); migrations, the services packages, tests and benchmarks are not scanned. A call is a
model write when it is one of

- ``<x>.save(...)`` or ``<x>.delete(...)``, unless ``<x>`` is ``super()`` (a model's own save
  calling Django's) or a known non-model object (``NOT_MODELS``: the cache, a session, file
  storage, a workbook ...), named by the last name of the receiver (``self.book.save()``: book);
- ``<qs>.update(...)``, ``<qs>.create(...)``, ``<qs>.get_or_create(...)``,
  ``<qs>.update_or_create(...)``, where ``<qs>`` is a manager or a queryset: a chain through
  ``objects`` / ``_default_manager`` / ``_base_manager`` / ``history``, or ending in a queryset
  method call (``.filter(...)``, ``.select_for_update()`` ...), so that ``dict.update``,
  ``set.update`` and ``hashlib``'s ``update`` do not count (a related manager's ``.create`` is
  not recognised: the ``.save()`` and ``.objects.`` rules catch the usual forms);
- ``.bulk_create(...)`` / ``.bulk_update(...)`` on anything, and simple-history's
  ``bulk_create_with_history`` / ``bulk_update_with_history``.

Every such call must be in a service, or in ``ALLOWED`` below with the reason it may write by
itself. Each violation is reported as ``file:line function: call``.

Code that writes by inheritance is not a call the parser sees: Django's ``ModelAdmin.save_model``,
``delete_model`` and ``delete_queryset`` (the "delete selected" action), and simple-history's
revert. So a second test walks the admin site: every page of a model of the app overrides those
three (to call its service: save_model where it may add or change, the deletes where it may
delete) and has revert disabled.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("tracker", "missions", "partners", "reports")

# (file, function) -> why it may write without a service. Keep it short; every entry says why.
ALLOWED: dict[tuple[str, str], str] = {
    ("tracker/writing.py", "save_record"): "the one save every service calls",
    ("tracker/writing.py", "delete_record"): "the one delete every service calls",
    ("tracker/writing.py", "bump_version"): "the one version bump every service calls when a record's "
    "sub-records change (a single conditional UPDATE, so two writers cannot both read the same version)",
    ("tracker/roles.py", "setup_roles"): "the role groups and their permissions: configuration, "
    "reset by setup_roles and bootstrap, not the office's records",
    ("tracker/management/commands/bootstrap.py", "Command._ensure_admin"): "the first administrator "
    "account of a new installation (no actor exists yet)",
    ("tracker/api/authentication.py", "issue_token"): "the token service itself, kept beside the "
    "authentication that reads tokens: admin actions and commands call it",
    ("tracker/api/authentication.py", "revoke_token"): "the token service itself, as issue_token",
    ("tracker/api/authentication.py", "ApiTokenAuthentication.authenticate_secret"): "a token's "
    "last-used time: one conditional UPDATE per interval, bookkeeping rather than a record",
    ("tracker/api/idempotency.py", "idempotent"): "Idempotency-Key rows: the stored answer to a key",
    ("tracker/api/idempotency.py", "_claim"): "Idempotency-Key rows: the API's own bookkeeping, in the "
    "request's transaction",
    ("tracker/api/idempotency.py", "purge_expired"): "expired Idempotency-Key rows",
    ("tracker/api/list_cache.py", "mark_changed"): "the list cache's change counter, bumped by signals",
    ("tracker/api/list_cache.py", "prune"): "old rows of the list cache's change counter",
    ("tracker/backup.py", "_insert"): "restores a backup: deserialised rows inserted as they were "
    "(loaddata's raw save, a batch at a time), their history rows and link rows included",
    ("tracker/security.py", "LoginAttemptHandler.count_attempt"): "django-axes' failure counters, "
    "counted atomically before the password is checked: bookkeeping of the sign-in, not a record",
    ("tracker/security.py", "prune_login_records"): "pruning django-axes' sign-in log (a beat job)",
    ("tracker/security.py", "prune_expired_attempts"): "pruning django-axes' expired counters",
    **{
        ("tracker/leases.py", name): "the lease helper: one conditional UPDATE on a leased row's "
        "status, claim and expiry that the services call (they record history and enqueue)"
        for name in ("claim", "heartbeat", "finish", "fail", "sweep", "reopen")
    },
}

NOT_MODELS = frozenset(
    {
        "cache",
        "session",
        "storage",
        "default_storage",
        "book",
        "workbook",
        "wb",
        "zip",
        "archive",
        "image",
        "canvas",
        "pdf",
    }
)
WRITES_ON_MANAGERS = frozenset({"update", "create", "get_or_create", "update_or_create"})
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager", "history"})
QUERYSET_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "select_for_update",
        "select_related",
        "prefetch_related",
        "annotate",
        "order_by",
        "only",
        "defer",
        "using",
        "none",
        "distinct",
    }
)
ALWAYS = frozenset({"bulk_create", "bulk_update"})
FUNCTIONS = frozenset({"bulk_create_with_history", "bulk_update_with_history"})


@dataclass(frozen=True)
class Write:
    path: str
    line: int
    function: str
    call: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.function or '<module>'}: {self.call}"


def _last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _last_name(node.func)
    if isinstance(node, ast.Subscript):
        return _last_name(node.value)
    return ""


def _is_super(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _is_queryset(node: ast.expr) -> bool:
    """A manager or a queryset: a chain through a manager, or ending in a queryset method call."""
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr in MANAGERS:
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in QUERYSET_METHODS | MANAGERS:
                return True
            node = func
        else:
            return False


def _is_write(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in FUNCTIONS
    if not isinstance(func, ast.Attribute):
        return False
    receiver, method = func.value, func.attr
    if method in ALWAYS:
        return True
    if method in {"save", "delete"}:
        return not _is_super(receiver) and _last_name(receiver) not in NOT_MODELS
    if method in WRITES_ON_MANAGERS:
        return _is_queryset(receiver)
    return False


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.scope: list[str] = []
        self.found: list[Write] = []

    def _visit_scope(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_ClassDef = _visit_scope
    visit_FunctionDef = _visit_scope
    visit_AsyncFunctionDef = _visit_scope

    def visit_Call(self, node: ast.Call) -> None:
        if _is_write(node):
            call = ast.unparse(node.func)
            self.found.append(Write(self.path, node.lineno, ".".join(self.scope), call))
        self.generic_visit(node)


def _scanned(app: str) -> Iterator[Path]:
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "services" in parts or "migrations" in parts or "tests" in parts or "benchmarks" in parts:
            continue
        yield path


def model_writes(app: str) -> list[Write]:
    """Every model write in ``app``'s code outside its services (and outside ALLOWED)."""
    found: list[Write] = []
    for path in _scanned(app):
        relative = path.relative_to(ROOT).as_posix()
        finder = _Finder(relative)
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=relative))
        found += finder.found
    return [w for w in found if (w.path, _function(w)) not in ALLOWED]


def _function(write: Write) -> str:
    """The allow-list names a function by Class.method or function (nested functions by their outer one)."""
    parts = write.function.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and parts[0][:1].isupper() else parts[0]


@pytest.mark.parametrize("app", APPS)
def test_only_services_write_models(app: str) -> None:
    writes = model_writes(app)
    assert not writes, "Model writes outside the services:\n" + "\n".join(str(w) for w in writes)


def test_every_allowed_write_still_exists() -> None:
    """An entry of ALLOWED whose code has gone would let the next write there pass unnoticed."""
    found = {(w.path, _function(w)) for app in APPS for path in _scanned(app) for w in _all_writes(path)}
    assert set(ALLOWED) <= found, sorted(set(ALLOWED) - found)


def _all_writes(path: Path) -> list[Write]:
    relative = path.relative_to(ROOT).as_posix()
    finder = _Finder(relative)
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=relative))
    return finder.found


# --- Writes by inheritance: the admin pages -------------------------------------------------
# (app label, ModelAdmin class name) -> why Django's own saving is kept there.
ADMIN_ALLOWED: dict[tuple[str, str], str] = {
    ("tracker", "UserAdmin"): "Django's own user admin: accounts and passwords are django.contrib.auth's",
    ("tracker", "IntegrationAccountAdmin"): "integration accounts are configuration of the API's "
    "clients, edited by administrators only; their tokens go through issue_token / revoke_token",
}
_ADMIN_WRITES = ("save_model", "delete_model", "delete_queryset")


def admin_pages_writing_by_themselves(app: str) -> list[str]:
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    found = []
    for model, model_admin in admin.site._registry.items():
        name = type(model_admin).__name__
        if model._meta.app_label != app or (app, name) in ADMIN_ALLOWED:
            continue
        saves = model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
        deletes = model_admin.has_delete_permission(request)
        writes = saves or deletes
        inherited = [
            method
            for method, allowed in zip(_ADMIN_WRITES, (saves, deletes, deletes), strict=True)
            if allowed and getattr(type(model_admin), method) is getattr(admin.ModelAdmin, method)
        ]
        if inherited:
            found.append(f"{name} ({model._meta.label}): Django's own {', '.join(inherited)}")
        revert = getattr(model_admin, "revert_disabled", None)
        if writes and revert is not None and not revert(request):
            found.append(f"{name} ({model._meta.label}): simple-history's revert is enabled")
    return sorted(found)


@pytest.mark.django_db
@pytest.mark.parametrize("app", APPS)
def test_admin_pages_write_through_services(app: str) -> None:
    pages = admin_pages_writing_by_themselves(app)
    assert not pages, "Admin pages that write by themselves:\n" + "\n".join(pages)


# --- API writes: every writable viewset names its service ------------------------------------
def viewsets_without_declared_writes(app: str) -> list[str]:
    """Writable viewsets of ``app`` that leave a create_record / update_record / delete_record undeclared."""
    from django.urls import get_resolver
    from rest_framework import mixins

    from tracker.api import viewsets

    hooks = {
        "create_record": (mixins.CreateModelMixin, viewsets.ApiCreateMixin),
        "update_record": (mixins.UpdateModelMixin, viewsets.ApiWriteMixin),
        "delete_record": (mixins.DestroyModelMixin, viewsets.ApiWriteMixin),
    }
    found: set[type] = set()
    for pattern in get_resolver().url_patterns:
        _collect(pattern, found)
    missing = []
    for view in sorted(found, key=lambda cls: cls.__name__):
        if not view.__module__.startswith(f"{app}."):
            continue
        for hook, (mixin, base) in hooks.items():
            if issubclass(view, mixin) and getattr(view, hook) is getattr(base, hook, None):
                missing.append(f"{view.__module__}.{view.__name__}: no {hook}")
    return missing


def _collect(pattern: object, found: set[type]) -> None:
    for child in getattr(pattern, "url_patterns", []):
        _collect(child, found)
    cls = getattr(getattr(pattern, "callback", None), "cls", None)
    if isinstance(cls, type):
        found.add(cls)


@pytest.mark.parametrize("app", APPS)
def test_every_writable_viewset_declares_its_service_writes(app: str) -> None:
    missing = viewsets_without_declared_writes(app)
    assert not missing, "Viewsets without their service writes:\n" + "\n".join(missing)


# --- The heuristic itself -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "is_write"),
    [
        ("activity.save()", True),
        ("obj.delete()", True),
        ("Country.objects.create(iso3='X')", True),
        ("Report.objects.filter(pk=1, status='p').update(status='r')", True),
        ("model._default_manager.get_or_create(code='x')", True),
        ("Tool.objects.select_for_update().update_or_create(code='x')", True),
        ("Ratification.objects.bulk_create(rows)", True),
        ("bulk_create_with_history(rows, Ratification)", True),
        ("super().save(*args, **kwargs)", False),
        ("cache.delete(key)", False),
        ("request.session.save()", False),
        ("self.book.save(buffer)", False),
        ("values.update(other)", False),
        ("seen.update(keys)", False),
        ("digest.update(chunk)", False),
        ("serializer.create(data)", False),
    ],
)
def test_what_counts_as_a_model_write(source: str, is_write: bool) -> None:
    call = ast.parse(source, mode="eval").body
    assert isinstance(call, ast.Call)
    assert _is_write(call) is is_write
