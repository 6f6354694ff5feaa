"""Every feature's models, imported in one place for SQLAlchemy, Alembic and the shell."""

from app.applications.models import (  # noqa: F401
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationMessage,
    ApplicationNote,
    ApplicationPost,
    ApplicationTutor,
)
from app.auth.models import (  # noqa: F401
    LoginAttempt,
    PasswordResetRequest,
    Referent,
    ReferentDepartement,
    RevokedSession,
)
from app.companies.models import RegistryAnswer  # noqa: F401
from app.mail.models import OutboxMessage  # noqa: F401
from app.structures.models import (  # noqa: F401
    Habilitation,
    HostPost,
    HostStructure,
    HostTutor,
    StructureEvent,
)
from app.webinars.models import Registration, Webinar, WebinarDepartement  # noqa: F401
