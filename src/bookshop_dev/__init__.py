"""The development launcher: the shop on this machine with one command, with the local Stripe
emulator when no Stripe key is set. Never part of a production deployment."""
