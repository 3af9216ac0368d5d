"""Sign-up, log-in, log-out, passwords and the organizer's view of the outbox."""

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from shop.accounts import adoption, outbox, services
from shop.accounts.auth import role_required
from shop.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
)
from shop.accounts.models import OutboxMessage, Role, User
from shop.errors import render_error
from shop.extensions import db, limiter
from shop.training import services as training
from shop.web import safe_next

bp = Blueprint("accounts", __name__)

#: Failed log-ins allowed per account and per address before the next attempt answers 429.
#: LOGIN_ADDRESS_LIMIT can raise the per-address one for a classroom behind one address.
LOGIN_LIMIT = "5 per 15 minutes"
RESET_REQUEST_LIMIT = "5 per 15 minutes"
SIGNUP_LIMIT = "20 per hour"
#: How many outbox messages the organizer's page lists, newest first.
OUTBOX_PAGE_SIZE = 100


def _address_login_limit() -> str:
    return current_app.config.get("LOGIN_ADDRESS_LIMIT") or LOGIN_LIMIT


def _submitted_account() -> str:
    """Rate-limit key: the email being tried, however it is capitalised."""
    return "account:" + services.normalize_email(request.form.get("email", ""))


def _login_failed(_response) -> bool:
    """Only failed attempts count: a person who logs in is never slowed down."""
    return bool(g.get("login_failed"))


def _start_session(user: User, remember: bool) -> int:
    """Log in on a fresh session, so nothing planted in the old one (fixation) carries over.

    The guest orders this browser session placed with the account's email join the account
    (see shop.accounts.adoption); returns how many did.
    """
    placed = adoption.placed_here()
    # The language choice lives in its own cookie and survives this.
    session.clear()
    login_user(user, remember=remember)
    adopted = adoption.adopt_guest_orders(user, placed)
    if adopted:
        db.session.commit()
        flash(
            ngettext(
                "%(num)d order from this browser is now in your account.",
                "%(num)d orders from this browser are now in your account.",
                adopted,
            )
        )
    return adopted


def _home_for(user: User) -> str:
    """Where a person lands after logging in with no page to go back to: their role's home.

    Organizers on their board, trainers on their cohorts, exhibitors on their shop's home board,
    trainees on their practice checklist, customers on the market. A graduated trainee keeps the
    trainee role next to the exhibitor one, and now runs a real shop: the exhibitor's home wins.
    """
    if user.has_role(Role.ORGANIZER):
        return url_for("curation.featured")
    if user.has_role(Role.TRAINER):
        return url_for("trainer.index")
    if user.has_role(Role.EXHIBITOR):
        return url_for("sellers.home")
    if user.has_role(Role.TRAINEE):
        return url_for("training.index")
    return url_for("catalogue.home")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(SIGNUP_LIMIT, methods=["POST"], key_func=get_remote_address)
def signup():
    """Create an account and log in with it."""
    code_in_link = request.args.get("code", "")[: training.MAX_CODE_INPUT]
    if current_user.is_authenticated:
        if code_in_link:
            # Someone with an account scanned a trainer's sign-up QR code: join instead.
            return redirect(url_for("training.join", code=code_in_link))
        return redirect(_home_for(current_user))
    form = SignupForm()
    if request.method == "GET" and code_in_link:
        form.join_code.data = code_in_link
        form.role.data = Role.TRAINEE
    if request.method == "GET" and not code_in_link:
        # A guest who just bought starts from the email they gave at checkout.
        form.email.data = adoption.guest_email(adoption.placed_here()) or None
    status = 200
    if form.validate_on_submit():
        join_code = (form.join_code.data or "").strip()
        try:
            cohort = training.cohort_to_join(join_code) if join_code else None
        except training.UnknownJoinCode as error:
            form.join_code.errors.append(str(error))
            status = 422
        else:
            try:
                user = services.register_user(
                    form.email.data,
                    form.display_name.data,
                    form.password.data,
                    form.language.data,
                    # A cohort's code makes the account a trainee's, whatever was ticked.
                    Role.TRAINEE if cohort else form.role.data,
                )
                if cohort:
                    training.join_cohort(user, join_code)
            except services.EmailTaken:
                # Answer as the reset form does, without saying the address has an account;
                # its owner gets a message saying how to log in (and join the cohort).
                services.notify_signup_attempt(form.email.data, cohort.join_code if cohort else "")
                db.session.commit()
                outbox.deliver_pending()
                return render_template("accounts/signup_sent.html")
            except services.AccountError as error:
                form.email.errors.append(str(error))
            else:
                db.session.commit()
                adopted = _start_session(user, remember=False)
                flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name))
                if cohort:
                    flash(_("You joined %(cohort)s.", cohort=cohort.name))
                # Through the language switch, so the chosen language shows at once.
                home = url_for("orders.mine") if adopted else _home_for(user)
                return redirect(url_for("site.switch_language", code=user.language, next=home))
    return render_template("accounts/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    LOGIN_LIMIT,
    key_func=_submitted_account,
    methods=["POST"],
    deduct_when=_login_failed,
    scope="login-account",
)
@limiter.limit(
    _address_login_limit,
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_login_failed,
    scope="login-address",
)
def login():
    """Log in with email and password."""
    next_page = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(next_page, _home_for(current_user)))
    form = LoginForm()
    failure = None
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None and user.is_active:
            adopted = _start_session(user, remember=form.remember.data)
            home = url_for("orders.mine") if adopted else _home_for(user)
            return redirect(safe_next(next_page, home))
        g.login_failed = True
        if user is None:
            failure = _(
                "That email and password do not match an account. Check both and try again."
            )
        else:
            failure = _("This account is switched off. Please contact the organizers.")
    return render_template("accounts/login.html", form=form, failure=failure, next_page=next_page)


@bp.errorhandler(429)
def too_many_attempts(_error):
    """Say plainly why the form is refused and what to do (both languages, like every page)."""
    if request.endpoint == "accounts.login":
        return render_error(
            429,
            _(
                "Too many failed log-in attempts for this account or from your network. "
                "Wait 15 minutes and try again, or reset your password."
            ),
        )
    return render_error(429)


@bp.post("/logout")
def logout():
    """Log out everywhere (a POST, whose CSRF token CSRFProtect checks, so no other site can do it).

    The account's session version moves, so every session and remember-me cookie of it stops
    working, copies included; this response also expires the remember-me cookie.
    """
    if current_user.is_authenticated:
        services.end_sessions(current_user)
        db.session.commit()
    # Clear first: logout_user() leaves the mark that makes Flask-Login expire the remember-me
    # cookie in this response, and clearing afterwards would wipe it.
    session.clear()
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("catalogue.home"))


@bp.get("/account")
@login_required
def account():
    """The person's own account: who they are and what they can do here."""
    return render_template("accounts/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password, knowing the current one."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except services.WrongPassword as error:
            form.current_password.errors.append(str(error))
        except services.AccountError as error:
            form.new_password.errors.append(str(error))
        else:
            db.session.commit()
            # Every other session ended with the change; this browser goes on with a new one.
            remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            _start_session(
                current_user._get_current_object(), remember=remember_cookie in request.cookies
            )
            flash(_("Your password is changed."))
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(RESET_REQUEST_LIMIT, methods=["POST"], key_func=get_remote_address)
def reset_request():
    """Ask for a password-reset link; the answer is the same whether the email exists or not."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        outbox.deliver_pending()
        return render_template("accounts/reset_sent.html")
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through a one-time link."""
    if services.valid_reset_token(token) is None:
        return render_template("accounts/reset_invalid.html"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except services.InvalidResetLink:
            db.session.rollback()
            return render_template("accounts/reset_invalid.html"), 410
        except services.AccountError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your password is changed. Log in with the new one."))
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.get("/account/outbox")
@role_required(Role.ORGANIZER)
def outbox_messages():
    """The organizer's view of messages to people, newest first (reset links among them)."""
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(OUTBOX_PAGE_SIZE)
    ).all()
    return render_template("accounts/outbox.html", messages=messages)
