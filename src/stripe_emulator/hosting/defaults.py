"""The keys and port an emulator uses unless told otherwise."""

DEFAULT_SECRET_KEY = "sk_test_emulator"
DEFAULT_PUBLISHABLE_KEY = "pk_test_emulator"
DEFAULT_PORT = 12111
