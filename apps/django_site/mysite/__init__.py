"""The settings, the URLs and the views of the course's Django project (see ../wsgi.py)."""
