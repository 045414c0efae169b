"""Serving the emulator: one runtime, in a thread of this process, as a command, or a child."""
