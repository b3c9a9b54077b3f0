"""Errors a user can cause and fix, raised anywhere from lib/ up to the settings."""


class ConfigError(ValueError):
    """A setting or a dbt declaration is missing or wrong. The message names it and the fix.

    In lib/ so reusable code can raise it without depending on the app's settings module, which
    re-exports it (`orchestration.settings.ConfigError`).
    """
