"""Settings of the course's Django project: only what a page of text needs.

No database, no installed apps, no middleware: each would add work to every request that
the lessons do not look at. Without CsrfViewMiddleware a POST is accepted without a token,
which a site with forms and logins must not do (a simplification, named: this project only
shows that Django is a WSGI app).
"""

# Django refuses to start without one; this project signs nothing, so any fixed value does.
SECRET_KEY = "the-course-project-signs-nothing"

DEBUG = False

# The Host header values Django answers (any other gets a 400): the lessons' servers.
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

ROOT_URLCONF = "mysite.urls"

INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}

USE_TZ = True
