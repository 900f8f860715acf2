from django.urls import path

from . import confirm_views, passkey_views, second_factor_views, session_views, unsubscribe, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("confirm/", confirm_views.confirm_email, name="confirm_email"),
    path("confirm/resend/", confirm_views.resend_confirmation, name="resend_confirmation"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("two-factor/", second_factor_views.verify, name="two_factor"),
    path("two-factor/setup/", second_factor_views.setup, name="two_factor_setup"),
    path("two-factor/recovery-codes/", second_factor_views.recovery_codes,
         name="two_factor_recovery_codes"),
    path("two-factor/off/", second_factor_views.turn_off, name="two_factor_off"),
    # Passkeys: the browser's JSON calls (accounts/passkey_views.py), then My account's.
    path("passkeys/add/begin/", passkey_views.BeginRegistration.as_view(),
         name="passkey_add_begin"),
    path("passkeys/add/complete/", passkey_views.CompleteRegistration.as_view(),
         name="passkey_add_complete"),
    path("passkeys/sign-in/begin/", passkey_views.BeginAuthentication.as_view(),
         name="passkey_sign_in_begin"),
    path("passkeys/sign-in/complete/", passkey_views.CompleteAuthentication.as_view(),
         name="passkey_sign_in_complete"),
    path("passkeys/messages.js", passkey_views.catalog, name="passkey_messages"),
    path("passkeys/<int:passkey_id>/rename/", passkey_views.rename, name="passkey_rename"),
    path("passkeys/<int:passkey_id>/remove/", passkey_views.remove, name="passkey_remove"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path("password-reset/confirm/", views.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/complete/", views.password_reset_complete,
         name="password_reset_complete"),
    path("profile/", views.profile, name="profile"),
    path("sessions/sign-out/", session_views.sign_out_session, name="sign_out_session"),
    path("sessions/sign-out-others/", session_views.sign_out_others, name="sign_out_others"),
    path("export/", views.export, name="export"),
    path("delete/", views.delete, name="delete"),
    path("unsubscribe/", unsubscribe.unsubscribe, name="unsubscribe"),
]
