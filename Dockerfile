FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# WeasyPrint needs Pango; libpq for psycopg2, libmagic for python-magic at run time;
# postgresql-client for `make backup` / `make restore` (pg_dump, same major version as the db image).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libpq5 libmagic1 curl postgresql-client make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# With DEBUG off, as in production: the manifest of hashed names that
# CompressedManifestStaticFilesStorage needs is written (DEBUG=1 wrote none, and
# every page of the container failed). The key only lets the settings load.
RUN DEBUG=0 SECRET_KEY=build-time-only-not-used-to-sign-anything-0123456789 python manage.py collectstatic --noinput
# The media volume takes the owner of this directory when first created.
RUN mkdir -p /app/media && useradd --system --home /app cpom && chown -R cpom /app
USER cpom
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
