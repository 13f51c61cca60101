"""Settings of the course's Django project: only what a page of text needs.

No database, no installed apps, no middleware: each would add work to every request that
the lessons do not look at. Without CsrfViewMiddleware a POST is accepted without a token,
which a site with forms and logins must not do (a simplification, named: this project only
shows that Django is a WSGI app).
"""

# Django refuses to start without one; this project signs nothing, so any fixed value does.
SECRET_KEY = "the-course-project-signs-nothing"

DEBUG = False

# The Host values this site accepts. Django checks them when the request's host is read
# (request.get_host(), which CommonMiddleware calls for every request): with no middleware
# and views that never ask, nothing reads it here, but a real project always has the list.
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

ROOT_URLCONF = "mysite.urls"

INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}

USE_TZ = True
