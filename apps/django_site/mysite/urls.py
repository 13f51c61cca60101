"""Which view answers which path: Django's router, like Flask's @app.route."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("hello/<str:name>", views.hello),
    path("echo", views.echo),
]
