"""The one exception type for problems a person can fix."""


class AnnotateError(Exception):
    """Bad input: the message says what went wrong, where, and what to do.

    The CLI prints it as one line on stderr and exits with status 2. Any other
    exception is a bug.
    """
