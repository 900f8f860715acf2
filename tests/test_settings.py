import subprocess
import sys

from tests.conftest import production_env


def run_check(**env_overrides):
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=production_env(**env_overrides), capture_output=True, text=True,
    )


def test_refuses_to_start_without_a_secret_key():
    result = run_check()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_starts_without_a_secret_key():
    assert run_check(DEBUG="true").returncode == 0


def test_deploy_check_is_clean_with_production_settings():
    env = production_env(
        SECRET_KEY="a-production-secret-" + "k3y" * 20, HTTPS="true", DEBUG="false",
        ALLOWED_HOSTS="join.run", SITE_URL="https://join.run",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_sqlite_is_tuned_for_several_workers(settings):
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert database["OPTIONS"]["timeout"] >= 5
        assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
