"""Exception types a user can act on: each message says what went wrong and what to do."""


class NuvolaError(Exception):
    """Base class of every error Nuvola raises on purpose."""


class ConfigError(NuvolaError):
    """The configuration (TOML, environment or flags) is invalid."""


class UnknownModelError(NuvolaError):
    """A model name does not match any registered backend."""


class MissingDependencyError(NuvolaError):
    """An optional dependency of a backend is not installed."""


class ModelLoadError(NuvolaError):
    """A model file or endpoint could not be loaded or reached."""


class StructuredOutputError(NuvolaError):
    """A model did not produce output matching the schema after the allowed repairs."""


class InputFileError(NuvolaError):
    """An input file is missing, corrupt or unsupported; the message names the file and the cause."""

    def __init__(self, path: object, cause: str):
        super().__init__(f"{path}: {cause}")
        self.path = str(path)
        self.cause = cause


class UnknownVolumeError(NuvolaError):
    """No volume of that name is in the catalogue."""
