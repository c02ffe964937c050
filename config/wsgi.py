"""
WSGI config for cpom project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# What loading made (modules, models, the URL patterns and the views they import) lives as long as the
# process. Frozen, it is left out of the collector's full passes, which otherwise walk it all every few
# requests: 5-10 ms a request on the longer pages at national scale (issue 19). ``gc.freeze`` is meant
# for this (Python's documentation: a server that loads, then forks or serves).
get_resolver().url_patterns  # noqa: B018 - imports every view now, once, rather than at the first request
gc.collect()
gc.freeze()
