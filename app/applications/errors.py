"""What the applicant's actions can run into. Each message is French and shown as is."""

from __future__ import annotations


class ApplicationError(Exception):
    """An applicant action that cannot be done."""


class NotEditable(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            "Cette candidature est en cours d'instruction : elle ne peut plus être modifiée. "
            "Écrivez au référent TIG depuis la page de suivi pour apporter une précision."
        )


class EmptyReply(ApplicationError):
    def __init__(self) -> None:
        super().__init__("Écrivez un message ou joignez au moins un fichier.")


class IncompleteApplication(ApplicationError):
    """Submission refused: ``step_key`` is the first step to correct."""

    def __init__(self, step_key: str, messages: list[str]):
        self.step_key = step_key
        self.messages = messages
        super().__init__(messages[0] if messages else "La candidature est incomplète.")


class QuotaExceeded(ApplicationError):
    """A document that would take the application past its number of files or its total size;
    ``stored_name``: the refused file, when it was already stored (and is now deleted)."""

    def __init__(self, message: str, stored_name: str | None = None):
        super().__init__(message)
        self.stored_name = stored_name
