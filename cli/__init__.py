"""The `nuvola` command line. Each module here that defines `register(cli)` adds its commands."""
