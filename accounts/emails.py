"""Every email accounts sends: one function each, one template pair each."""

from joinrun import mail


def send_password_reset(user, link):
    mail.send("password_reset", [user], {"name": user.display_name, "link": link})


def send_goodbye(email, name, language):
    # The account is gone: to the bare address, in the language it had.
    mail.send("goodbye", [email], {"name": name}, language=language)


def send_email_changed(old_email, user):
    mail.send("email_changed", [old_email], {"name": user.display_name},
              language=user.language)
