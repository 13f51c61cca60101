# Used by tests/app_spec.rs: a package laid out as Django lays out a project, so that
# `myproject.wsgi:application` names the module myproject/wsgi.py, not a file.
