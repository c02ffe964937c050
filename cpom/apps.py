from django.apps import AppConfig


class CpomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cpom"
    verbose_name = "Contrats (CPOM)"
