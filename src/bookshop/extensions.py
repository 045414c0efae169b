"""The extension objects, created once here and bound to an app with init_app."""

from flask_wtf.csrf import CSRFProtect

from .database import Database

db = Database()
csrf = CSRFProtect()
