"""Writes .env from .env.example with a fresh SECRET_KEY, once (`make .env`)."""

import secrets
import sys
from pathlib import Path


def main(target=".env", template=".env.example"):
    target, template = Path(target), Path(template)
    if target.exists():
        return
    secret = secrets.token_urlsafe(50)
    lines = [
        f"SECRET_KEY={secret}" if line.startswith("SECRET_KEY=") else line
        for line in template.read_text().splitlines()
    ]
    target.write_text("\n".join(lines) + "\n")
    target.chmod(0o600)
    print(f"Wrote {target} with a fresh SECRET_KEY.", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
