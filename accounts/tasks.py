from celery import shared_task

from accounts import inactivity


@shared_task
def deactivate_unused():
    return inactivity.run()
