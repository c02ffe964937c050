from django.conf import settings


def site(request):
    """Site-wide values for the DSFR layout, from settings (no query per page)."""
    return {
        "SITE_CONFIG": {
            "site_title": settings.SITE_TITLE,
            "site_tagline": settings.SITE_TAGLINE,
        },
    }
