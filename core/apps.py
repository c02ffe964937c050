from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Kit commun"

    def ready(self):
        from django.apps import apps

        from core import checks  # noqa: F401 - registers the deployment checks
        from core.choices import install

        install(apps.get_models(include_auto_created=True))  # every model is loaded by now, history included
