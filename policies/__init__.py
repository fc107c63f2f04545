"""Pure domain rules: no I/O, no clock, no randomness, no temporalio imports."""
