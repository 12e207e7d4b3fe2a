"""dealrescue: what to do in the minutes after a deal goes bad."""

__version__ = "0.1.0"
