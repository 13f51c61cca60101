# A real Django project, the smallest one: this file is its WSGI entry point, the one a
# server is given (Django's `startproject` writes the same file as mysite/wsgi.py).
#
# get_wsgi_application() reads the settings named below and returns a WSGIHandler, an object
# whose __call__(environ, start_response) is the WSGI callable: Django is a WSGI app too.
#
#   python3 -m venv .venv && .venv/bin/pip install -r apps/requirements.txt
#   cargo run --release -- --venv .venv apps/django_site/wsgi.py
#   curl http://127.0.0.1:8888/hello/class
#   .venv/bin/python lessons/code/stage2_wsgi.py apps/django_site/wsgi.py   (lesson 14)
#
# The folder holding this file goes first on sys.path (wsgiscope and the lesson servers do
# that for an app file), so the package `mysite` beside it can be imported.

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

application = get_wsgi_application()
