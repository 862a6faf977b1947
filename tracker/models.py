"""Accounts: the project's own user model, and the REST API's integration accounts and tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person (officer, manager, auditor, administrator) or an integration's service account."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        permissions = [
            ("access_all_regions", "Can see the records of every region (headquarters)"),
            ("view_audit_trail", "Can read the history of any record and of any account"),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class IntegrationAccount(models.Model):
    """Another UN system that uses the REST API, acting as its own service user.

    The user's Django model permissions decide what the account may do; the scopes narrow it
    further (a read-only account cannot write whatever its user's permissions say).
    """

    name = models.CharField(
        max_length=200, unique=True, help_text="The integration's name, e.g. CTED database."
    )
    user = models.OneToOneField(
        "tracker.User",
        on_delete=models.PROTECT,
        related_name="integration_account",
        help_text="Service user whose model permissions apply to every token of this account.",
    )
    scope_read = models.BooleanField("scope: read", default=True, help_text="May read (GET, HEAD).")
    scope_write = models.BooleanField(
        "scope: write", default=False, help_text="May create, update and delete (within its permissions)."
    )
    scope_confidential = models.BooleanField(
        "scope: confidential",
        default=False,
        help_text="May see activities marked confidential.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive accounts' tokens are refused.")
    contact = models.CharField(max_length=300, blank=True, help_text="Who runs the integration.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scopes(self) -> frozenset[str]:
        names = {"read": self.scope_read, "write": self.scope_write, "confidential": self.scope_confidential}
        return frozenset(name for name, granted in names.items() if granted)


class ApiToken(models.Model):
    """A bearer token of an integration account. Only the SHA-256 of the secret is stored."""

    account = models.ForeignKey(IntegrationAccount, on_delete=models.CASCADE, related_name="tokens")
    label = models.CharField(
        max_length=200, blank=True, help_text="What this token is for, e.g. nightly sync."
    )
    prefix = models.CharField(
        max_length=16, editable=False, help_text="First characters of the secret, to recognise it in logs."
    )
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, help_text="SHA-256 of the secret."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "tracker.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(help_text="The token is refused from this moment on.")
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Updated at most once a minute."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Set to revoke the token.")
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["account", "-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return (
            f"{self.account} · {self.prefix}… ({self.label})"
            if self.label
            else f"{self.account} · {self.prefix}…"
        )


class IdempotencyKey(models.Model):
    """A create request made with an Idempotency-Key header, and the response it got.

    One row per user and key (the unique constraint makes concurrent retries wait for the
    first and then replay its response). Rows expire; expired keys may be reused.
    """

    user = models.ForeignKey("tracker.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical request body.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_unique_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.key}"


class DataChange(models.Model):
    """One row per write to a record that a cached API list shows (tracker/api/list_cache.py).

    Cached list pages are keyed on (how many rows there are, the last id, its random token). Any
    committed write, from any process, changes that triple, so no page is served from the cache
    after the data it shows has changed; a write rolled back leaves no row to be matched later.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"change {self.pk} at {self.changed_at:%Y-%m-%d %H:%M:%S}"


class BeatLease(models.Model):
    """Which ``celery beat`` process dispatches the periodic tasks, and when each entry last ran.

    One row per scheduler name (``"beat"``). The beat holding it renews ``expires_at`` on every
    tick; a second beat stands by until the lease lapses, then takes it over, together with
    ``last_runs`` (entry name -> ISO time of its last dispatch), so a takeover neither repeats
    nor skips the entries the first beat already sent. Written only by ``tracker/beat.py``.
    """

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=200, blank=True, help_text="host, process id and a random part")
    taken_at = models.DateTimeField(null=True, blank=True, help_text="When the holder took the lease.")
    expires_at = models.DateTimeField(help_text="The holder's claim lapses then unless it renews it.")
    last_runs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class Heartbeat(models.Model):
    """When a Celery worker or the beat last showed it was alive (tracker/services/heartbeats.py).

    Each worker writes its row every ``HEALTH_HEARTBEAT_SECONDS`` and beat writes its own when it
    starts and each time it sends a scheduled task; ``/health/ready`` is 503 naming the worker or
    the beat when no row of that kind is fresher than its staleness limit (tracker/health.py).
    """

    class Kind(models.TextChoices):
        WORKER = "worker", "worker"
        BEAT = "beat", "beat"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200, help_text="The worker's node name or the beat's host and pid.")
    at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="heartbeat_one_row_per_process")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
