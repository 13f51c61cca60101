"""The views: each takes Django's HttpRequest, built from the environ, and returns a response."""

from django.http import HttpResponse, HttpResponseNotAllowed
from django.utils.html import escape


def index(request):
    return HttpResponse("Hello from Django!\n", content_type="text/plain; charset=utf-8")


def hello(request, name):
    # HTML, so the name from the URL is escaped, as in apps/flask_app.py.
    return HttpResponse("Hello, %s!\n" % escape(name))


def echo(request):
    """POST: the body, read by Django from wsgi.input (CONTENT_LENGTH bytes), sent back."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return HttpResponse(request.body, content_type="text/plain; charset=utf-8")
