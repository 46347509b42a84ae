"""Where the settings used to live: they are in `runtime.config` now, below both `bot/` and
`handlers/`, so that neither package imports the other in a circle. Kept so existing
imports (`from bot.config import Settings`) go on working."""

from runtime.config import DEFAULT_DATA_DIR, PROJECT_ROOT, ConfigError, Settings, load_settings

__all__ = ["DEFAULT_DATA_DIR", "PROJECT_ROOT", "ConfigError", "Settings", "load_settings"]
