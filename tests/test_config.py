import pytest

from bot.config import SettingsError, load_settings


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.is_sqlite
    assert settings.database_url.endswith("var/pishkhan.db")
    assert settings.port == 8000


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PISHKHAN_SHOP_NAME=دیجی‌نمونه\nPISHKHAN_PORT=9000\n", encoding="utf-8")
    monkeypatch.setenv("PISHKHAN_PORT", "8100")
    settings = load_settings()
    assert settings.shop_name == "دیجی‌نمونه"
    assert settings.port == 8100  # the environment wins over .env


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PISHKHAN_PORT", "eighty")
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", "mysql://localhost/x")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "PISHKHAN_PORT" in str(raised.value)
    assert "PISHKHAN_DATABASE_URL" in str(raised.value)


def test_production_refuses_development_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PISHKHAN_ENV", "production")
    with pytest.raises(SettingsError, match="PISHKHAN_SECRET_KEY"):
        load_settings()
