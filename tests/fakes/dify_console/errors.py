"""The error the fake's handlers raise: Dify's JSON error body {code, message, status}."""


class HttpError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message, "status": status}


SETUP_ERROR_TYPES = {400: ("invalid_request_error", "Bad Request"), 401: ("authentication_error", "Unauthorized"),
                     403: ("permission_error", "Forbidden")}


class SetupHttpError(HttpError):
    """What a real Dify 1.15 answered on ``/setup`` and ``/init``: no ``code`` field, and a message that
    names only the status, e.g. ``{"type": "authentication_error", "message": "Unauthorized"}`` for a 401
    (observed, issue 17). The types of the other statuses follow the same scheme."""

    def __init__(self, status, detail=None):
        kind, message = SETUP_ERROR_TYPES[status]
        super().__init__(status, kind, detail or message)
        self.body = {"type": kind, "message": detail or message}
