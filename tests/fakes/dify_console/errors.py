"""The error the fake's handlers raise: Dify's JSON error body {code, message, status}."""


class HttpError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message, "status": status}
