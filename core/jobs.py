"""The one background job: an import run, an annex archive, a computation
run are each a row a Celery task moves along (pending → running → done or
failed) with its progress, read by its page and by the JSON status view
that page polls (static/js/background-progress.js)."""

from django.db import models
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    PENDING = "en_attente", _("En attente")
    RUNNING = "en_cours", _("En cours")
    DONE = "termine", _("Terminé")
    FAILED = "refuse", _("Échec")


class BackgroundJob(models.Model):
    """Status, progress (done of total), error and times of a job. A model
    may redeclare ``status`` with the same values and its own labels."""

    Status = JobStatus

    status = models.CharField(_("état"), max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING)
    done = models.PositiveIntegerField(_("traités"), default=0)
    total = models.PositiveIntegerField(_("à traiter"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_pending(self):
        return self.status == JobStatus.PENDING

    @property
    def is_running(self):
        return self.status == JobStatus.RUNNING

    @property
    def is_done(self):
        return self.status == JobStatus.DONE

    @property
    def is_failed(self):
        return self.status == JobStatus.FAILED

    @property
    def in_progress(self):
        """Still to be watched: its page polls the status view."""
        return self.status in (JobStatus.PENDING, JobStatus.RUNNING)

    @property
    def progress(self):
        """Percentage done; a finished job is at 100 %."""
        if self.is_done:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0

    def status_payload(self) -> dict:
        return {
            "status": self.status,
            "status_label": str(self.get_status_display()),
            "progress": self.progress,
            "done": self.done,
            "total": self.total,
            "finished": not self.in_progress,
            "error": self.error if self.is_failed else "",
        }

    # The writes of a task: conditional updates on the row, so that a retried
    # or duplicated task never moves a finished job back.

    @classmethod
    def start(cls, pk, total=None, rerun=False) -> bool:
        """Mark the job running; False if it is done already (unless ``rerun``:
        a job whose result it is safe to compute again)."""
        fields = {"status": JobStatus.RUNNING, "done": 0, "error": "", "started_at": timezone.now()}
        if total is not None:
            fields["total"] = total
        jobs = cls._default_manager.filter(pk=pk)
        if not rerun:
            jobs = jobs.exclude(status=JobStatus.DONE)
        return bool(jobs.update(**fields))

    @classmethod
    def advance(cls, pk, done, **fields):
        cls._default_manager.filter(pk=pk, status=JobStatus.RUNNING).update(done=done, **fields)

    @classmethod
    def finish(cls, pk, **fields):
        cls._default_manager.filter(pk=pk).update(status=JobStatus.DONE, finished_at=timezone.now(), **fields)

    @classmethod
    def fail(cls, pk, error, **fields):
        cls._default_manager.filter(pk=pk).update(
            status=JobStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now(), **fields
        )


def job_status_response(job) -> JsonResponse:
    return JsonResponse(job.status_payload())
