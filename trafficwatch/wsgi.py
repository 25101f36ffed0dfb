"""WSGI entry point for gunicorn: `gunicorn trafficwatch.wsgi` (see gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trafficwatch.settings")

application = get_wsgi_application()
