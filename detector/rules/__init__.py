"""Pure rule state machines: tracks and objects plus a clock in, events out. No I/O, no wall clock."""
