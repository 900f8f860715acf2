// Passkeys (accounts/passkeys.py). django-otp-webauthn's scripts run the ceremonies and
// show their progress; once a passkey is added, this goes on to the page the button
// names (My account's list, or where a member of staff was going), which then says so.
document.addEventListener("otp_webauthn.register_complete", (event) => {
  const here = window.location;
  const after = new URL(event.target.dataset.after || here.href, here.href);
  if (after.pathname + after.search === here.pathname + here.search) {
    // The same page (My account): load it again, at the list.
    here.hash = after.hash;
    here.reload();
  } else {
    here.assign(after.href);
  }
});
