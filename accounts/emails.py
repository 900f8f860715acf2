"""Every email accounts sends: one function each, one template pair each."""

from joinrun import mail


def send_password_reset(user, link):
    mail.send("password_reset", [user.email], {"name": user.display_name, "link": link})


def send_goodbye(email, name):
    mail.send("goodbye", [email], {"name": name})


def send_email_changed(old_email, name):
    mail.send("email_changed", [old_email], {"name": name})
