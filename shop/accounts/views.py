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
from sqlalchemy.exc import IntegrityError

from shop.accounts import adoption, codes, join_codes, outbox, services
from shop.accounts.auth import role_required
from shop.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    LoginForm,
    PhoneForm,
    ResetPasswordForm,
    ResetRequestForm,
    ResetWithCodeForm,
    SignupForm,
)
from shop.accounts.models import OutboxMessage, Role, User
from shop.accounts.phones import looks_like_email, masked_phone, normalize_phone
from shop.errors import render_error
from shop.extensions import db, limiter
from shop.parsing import safe_next

bp = Blueprint("accounts", __name__)

#: Failed log-ins allowed per account and per address before the next attempt answers 429.
#: LOGIN_ADDRESS_LIMIT can raise the per-address one for a classroom behind one address.
LOGIN_LIMIT = "5 per 15 minutes"
RESET_REQUEST_LIMIT = "5 per 15 minutes"
SIGNUP_LIMIT = "20 per hour"
#: SMS codes one mobile number may be sent (sign-up, log-in and reset together), and one address
#: may ask for: each costs money and lands on someone's phone.
SMS_NUMBER_LIMIT = "3 per 10 minutes"
SMS_ADDRESS_LIMIT = "10 per hour"
#: Where the code pages find the number the code went to, and what it is for.
CODE_PHONE = "code_phone"
CODE_PURPOSE = "code_purpose"
#: How many outbox messages the organizer's page lists, newest first.
OUTBOX_PAGE_SIZE = 100


def _address_login_limit() -> str:
    return current_app.config.get("LOGIN_ADDRESS_LIMIT") or LOGIN_LIMIT


def _submitted_account() -> str:
    """Rate-limit key: the email or mobile number being tried, however it is written.

    On the code pages it is the number the code went to, so a code and a password count
    against the same account.
    """
    if request.endpoint == "accounts.login":
        return "account:" + services.login_key(request.form.get("email", ""))
    return "account:" + services.login_key(session.get(CODE_PHONE, ""))


def _login_failed(_response) -> bool:
    """Only failed attempts count: a person who logs in is never slowed down."""
    return bool(g.get("login_failed"))


#: Every way in (password, log-in code, sign-up code, reset code) shares these two counters.
login_limits = [
    limiter.shared_limit(
        LOGIN_LIMIT,
        scope="login-account",
        key_func=_submitted_account,
        methods=["POST"],
        deduct_when=_login_failed,
    ),
    limiter.shared_limit(
        _address_login_limit,
        scope="login-address",
        key_func=get_remote_address,
        methods=["POST"],
        deduct_when=_login_failed,
    ),
]


def _with_login_limits(view):
    for limit in login_limits:
        view = limit(view)
    return view


def _texted_number() -> str:
    """Rate-limit key: the number an SMS is asked for (sign-up, log-in or reset form)."""
    typed = request.form.get("phone") or request.form.get("email") or ""
    return "sms:" + (normalize_phone(typed) or session.get(CODE_PHONE) or "none")


def _no_sms_asked() -> bool:
    """Limits on SMS apply only to requests that would send one (see _sms_asked)."""
    return request.method != "POST"


def _sms_asked(_response) -> bool:
    return bool(g.get("sms_asked"))


sms_limits = [
    limiter.shared_limit(
        SMS_NUMBER_LIMIT,
        scope="sms-number",
        key_func=_texted_number,
        exempt_when=_no_sms_asked,
        deduct_when=_sms_asked,
    ),
    limiter.shared_limit(
        SMS_ADDRESS_LIMIT,
        scope="sms-address",
        key_func=get_remote_address,
        exempt_when=_no_sms_asked,
        deduct_when=_sms_asked,
    ),
]


def _with_sms_limits(view):
    for limit in sms_limits:
        view = limit(view)
    return view


def _chosen_language() -> str | None:
    """The ?lang= of this request when it is a language of the site, to carry on to the next page."""
    choice = request.args.get("lang")
    return choice if choice in current_app.config["LANGUAGES"] else None


def _expect_code(phone: str, purpose: str) -> None:
    """Remember, in this browser's session, which number and which code the next page asks for."""
    session[CODE_PHONE] = phone
    session[CODE_PURPOSE] = purpose


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
@_with_sms_limits
def signup():
    """Create an account and log in with it (after the SMS code, when it has a mobile number)."""
    code_in_link = request.args.get("code", "")[: join_codes.MAX_CODE_INPUT]
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
            cohort = join_codes.class_to_join(join_code) if join_code else None
        except join_codes.UnknownJoinCode as error:
            form.join_code.errors.append(str(error))
            status = 422
        else:
            phone = normalize_phone(form.phone.data) if form.phone.data else None
            try:
                user = services.register_user(
                    form.email.data,
                    form.display_name.data,
                    form.password.data,
                    form.language.data,
                    # A cohort's code makes the account a trainee's, whatever was ticked.
                    Role.TRAINEE if cohort else form.role.data,
                    phone=phone,
                )
                if cohort:
                    join_codes.join_class(user, join_code)
            except IntegrityError:
                # Another sign-up took the number (or the email) between the check and the insert.
                db.session.rollback()
                if phone and services.find_user_by_phone(phone):
                    form.phone.errors.append(services.phone_taken_message())
                else:
                    form.email.errors.append(
                        _("Please try again: this email was being signed up at the same moment.")
                    )
                status = 422
            except services.PhoneTaken as error:
                form.phone.errors.append(str(error))
                status = 422
            except services.EmailTaken:
                # Answer as the reset form does, without saying the address has an account;
                # its owner gets a message saying how to log in (and join the cohort).
                services.notify_signup_attempt(form.email.data, cohort.join_code if cohort else "")
                db.session.commit()
                outbox.deliver_later()
                return render_template("accounts/signup_sent.html")
            except services.AccountError as error:
                form.email.errors.append(str(error))
            else:
                if phone:
                    # The number is confirmed by the code texted to it; log-in waits for that.
                    services.send_signup_code(user)
                    g.sms_asked = True
                    db.session.commit()
                    outbox.deliver_later()
                    _expect_code(phone, "signup")
                    return redirect(url_for("accounts.signup_confirm", lang=_chosen_language()))
                db.session.commit()
                adopted = _start_session(user, remember=False)
                flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name))
                if cohort:
                    flash(_("You joined %(cohort)s.", cohort=cohort.name))
                # Through the language switch, so the chosen language shows at once.
                home = url_for("orders.mine") if adopted else _home_for(user)
                return redirect(url_for("site.switch_language", code=user.language, next=home))
    return render_template("accounts/signup.html", form=form), status


def _code_page(purpose: str, form, **context):
    """The page asking for the code texted to the number in the session."""
    return render_template(
        "accounts/code_entry.html",
        form=form,
        purpose=purpose,
        masked=masked_phone(session.get(CODE_PHONE)),
        **context,
    )


def _expected_phone(purpose: str) -> str | None:
    """The number this browser was sent a `purpose` code for, or None."""
    if session.get(CODE_PURPOSE) != purpose:
        return None
    return session.get(CODE_PHONE)


@bp.route("/signup/confirm", methods=["GET", "POST"])
@_with_login_limits
def signup_confirm():
    """Enter the code texted at sign-up: the number is confirmed and the new account logged in."""
    phone = _expected_phone("signup")
    if phone is None:
        return redirect(url_for("accounts.signup"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.confirm_phone(phone, codes.parse_code(form.code.data))
        except codes.CodeError as error:
            db.session.commit()  # the spent try counts
            g.login_failed = True
            form.code.errors.append(str(error))
            status = 422
        else:
            db.session.commit()
            adopted = _start_session(user, remember=False)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name))
            home = url_for("orders.mine") if adopted else _home_for(user)
            return redirect(url_for("site.switch_language", code=user.language, next=home))
    return _code_page(
        "signup", form, resend=url_for("accounts.signup_resend", lang=_chosen_language())
    ), status


@bp.post("/signup/confirm/resend")
@_with_sms_limits
def signup_resend():
    """Text a new sign-up code to the number in this browser's session."""
    phone = _expected_phone("signup")
    if phone is None:
        return redirect(url_for("accounts.signup"))
    user = services.find_user_by_phone(phone)
    if user is not None and user.phone_confirmed_at is None:
        services.send_signup_code(user)
        g.sms_asked = True
        db.session.commit()
        outbox.deliver_later()
    flash(_("We sent a new code. Older codes no longer work."))
    return redirect(url_for("accounts.signup_confirm", lang=_chosen_language()))


@bp.route("/login/code", methods=["GET", "POST"])
@_with_sms_limits
def login_code():
    """Ask for a log-in code by SMS (短信验证码登录), instead of typing the password."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = PhoneForm()
    if request.method == "GET" and session.get(CODE_PHONE):
        form.phone.data = normalize_phone(session[CODE_PHONE]).removeprefix("+86")
    status = 200
    if form.validate_on_submit():
        phone = normalize_phone(form.phone.data)
        services.request_login_code(phone)
        g.sms_asked = True
        db.session.commit()
        outbox.deliver_later()
        _expect_code(phone, "login")
        return redirect(
            url_for(
                "accounts.login_code_enter",
                next=request.args.get("next"),
                lang=_chosen_language(),
            )
        )
    if form.errors:
        status = 422
    return render_template("accounts/login_code.html", form=form), status


@bp.route("/login/code/enter", methods=["GET", "POST"])
@_with_login_limits
def login_code_enter():
    """Enter the texted log-in code."""
    next_page = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(next_page, _home_for(current_user)))
    phone = _expected_phone("login")
    if phone is None:
        return redirect(url_for("accounts.login_code"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.log_in_with_code(phone, codes.parse_code(form.code.data))
        except codes.CodeError as error:
            db.session.commit()  # the spent try counts
            g.login_failed = True
            form.code.errors.append(str(error))
            status = 422
        else:
            if user.is_active:
                db.session.commit()
                adopted = _start_session(user, remember=False)
                home = url_for("orders.mine") if adopted else _home_for(user)
                return redirect(safe_next(next_page, home))
            db.session.rollback()
            g.login_failed = True
            form.code.errors.append(
                _("This account is switched off. Please contact the organizers.")
            )
            status = 403
    return _code_page("login", form, resend=url_for("accounts.login_code")), status


@bp.route("/login", methods=["GET", "POST"])
@_with_login_limits
def login():
    """Log in with an email or a mobile number, and the password."""
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
                "The account (email or mobile number) or the password is not right. "
                "Check both and try again."
            )
        else:
            failure = _("This account is switched off. Please contact the organizers.")
    return render_template("accounts/login.html", form=form, failure=failure, next_page=next_page)


#: Pages where a wrong password or code counts toward the log-in limits.
LOGIN_ENDPOINTS = (
    "accounts.login",
    "accounts.login_code_enter",
    "accounts.signup_confirm",
    "accounts.reset_code",
)


@bp.errorhandler(429)
def too_many_attempts(_error):
    """Say plainly why the form is refused and what to do (both languages, like every page)."""
    asks_for_code = request.endpoint in ("accounts.signup_resend", "accounts.login_code") or (
        request.endpoint == "accounts.signup" and bool(request.form.get("phone"))
    )
    if asks_for_code:
        return render_error(
            429,
            _(
                "Too many codes were asked for this mobile number or from your network. "
                "Wait 10 minutes and try again."
            ),
        )
    if request.endpoint in LOGIN_ENDPOINTS:
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
@_with_sms_limits
def reset_request():
    """Ask for a password-reset link by mail, or a code by SMS; the same answer either way."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        if looks_like_email(form.email.data):
            services.request_password_reset(form.email.data)
            db.session.commit()
            outbox.deliver_later()
            return render_template("accounts/reset_sent.html")
        phone = normalize_phone(form.email.data)
        services.request_password_reset_code(phone)
        g.sms_asked = True
        db.session.commit()
        outbox.deliver_later()
        _expect_code(phone, "reset")
        return redirect(url_for("accounts.reset_code", lang=_chosen_language()))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/code", methods=["GET", "POST"])
@_with_login_limits
def reset_code():
    """Choose a new password with the code texted to the account's mobile number."""
    phone = _expected_phone("reset")
    if phone is None:
        return redirect(url_for("accounts.reset_request"))
    form = ResetWithCodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.reset_password_with_code(
                phone, codes.parse_code(form.code.data), form.password.data
            )
        except codes.CodeError as error:
            db.session.commit()  # the spent try counts
            g.login_failed = True
            form.code.errors.append(str(error))
            status = 422
        except services.AccountError as error:
            form.password.errors.append(str(error))
            status = 422
        else:
            db.session.commit()
            session.pop(CODE_PHONE, None)
            session.pop(CODE_PURPOSE, None)
            flash(_("Your password is changed. Log in with the new one."))
            return redirect(url_for("accounts.login"))
    return _code_page("reset", form, resend=url_for("accounts.reset_request")), status


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
