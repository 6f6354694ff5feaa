"""Forms of the login, second factor, forgotten password and account pages."""

from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.auth.passwords import MIN_PASSWORD_LENGTH, password_problems
from app.forms import BaseForm, MultiCheckboxField

EMAIL_HINT = "Format attendu : nom@justice.fr"
PASSWORD_HINT = f"Au moins {MIN_PASSWORD_LENGTH} caractères. Une phrase de plusieurs mots est facile à retenir et difficile à deviner."


class LoginForm(BaseForm):
    email = EmailField(
        "Adresse électronique",
        validators=[DataRequired("Saisissez votre adresse électronique."), Length(max=320)],
        description=EMAIL_HINT,
    )
    password = PasswordField(
        "Mot de passe", validators=[DataRequired("Saisissez votre mot de passe."), Length(max=200)]
    )


class CodeForm(BaseForm):
    code = StringField(
        "Code de vérification",
        validators=[DataRequired("Saisissez le code à 6 chiffres.")],
        description="Le code à 6 chiffres affiché par votre application d'authentification (par exemple : 123456).",
    )


class ForgotPasswordForm(BaseForm):
    email = EmailField(
        "Adresse électronique",
        validators=[
            DataRequired("Saisissez votre adresse électronique."),
            Email("Saisissez une adresse électronique valide, par exemple nom@justice.fr."),
            Length(max=320),
        ],
        description=EMAIL_HINT,
    )


class _PasswordRules:
    """Checks the new password against the rules, with the e-mail given by the view."""

    def __call__(self, form, field):
        problems = password_problems(field.data or "", getattr(form, "account_email", ""))
        if problems:
            raise ValidationError(" ".join(problems))


# Made before the new-password fields: WTForms orders fields by creation, so the change form (and its
# error summary) asks for the current password first.
CURRENT_PASSWORD = PasswordField(
    "Mot de passe actuel", validators=[DataRequired("Saisissez votre mot de passe actuel.")]
)


class NewPasswordForm(BaseForm):
    password = PasswordField(
        "Nouveau mot de passe",
        validators=[DataRequired("Saisissez un mot de passe."), _PasswordRules()],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        "Confirmation du mot de passe",
        validators=[
            DataRequired("Saisissez de nouveau le mot de passe."),
            EqualTo("password", "Les deux mots de passe ne sont pas identiques."),
        ],
    )

    def __init__(self, *args, account_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class ChangePasswordForm(NewPasswordForm):
    current_password = CURRENT_PASSWORD


class NotificationsForm(BaseForm):
    notify_new_applications = BooleanField(
        "Recevoir un courriel à chaque nouvelle candidature et à chaque nouveau message d'un demandeur de mes départements"
    )


class TotpDisableForm(BaseForm):
    password = CURRENT_PASSWORD


class ReferentForm(BaseForm):
    """Invite (admin) or edit an account's name, départements and role."""

    email = EmailField(
        "Adresse électronique",
        validators=[
            DataRequired("Saisissez l'adresse électronique."),
            Email("Saisissez une adresse électronique valide, par exemple prenom.nom@justice.fr."),
            Length(max=320),
        ],
        description="Format attendu : prenom.nom@justice.fr",
    )
    name = StringField("Nom et prénom", validators=[DataRequired("Saisissez le nom et le prénom."), Length(max=200)])
    departements = MultiCheckboxField(
        "Départements suivis",
        description="Au moins un pour un référent : il voit les candidatures et les webinaires de ces départements. "
        "Un administrateur national les voit tous.",
    )
    is_admin = BooleanField("Administrateur national (voit tous les départements et gère les comptes)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.departements.flags.required = True  # required unless admin (checked below): no "(optionnel)"

    def validate_departements(self, field):
        if not field.data and not self.is_admin.data:
            raise ValidationError("Cochez au moins un département, ou donnez le rôle d'administrateur national.")
