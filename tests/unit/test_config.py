"""Settings: what is required, what is refused, and what production insists on."""

import pytest

from bookshop.config import DEFAULT_STRIPE_JS_URL, ConfigError, build, from_environment

KEYS = {"STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_PUBLISHABLE_KEY": "pk_test_abc"}
STRONG_SECRET = "k" * 48


def test_test_mode_makes_up_a_secret_key_when_none_is_given():
    cfg = build({"TESTING": True, **KEYS})
    assert len(cfg["SECRET_KEY"]) >= 32


def test_development_without_a_secret_key_refuses_to_start():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build(KEYS)


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"])
def test_stripe_keys_have_no_default(missing):
    values = {"SECRET_KEY": "x", **KEYS}
    del values[missing]
    with pytest.raises(ConfigError, match=missing):
        build(values)


@pytest.mark.parametrize("secret", ["change-me", "dev", "replace-with-64-random-hex", "short"])
def test_production_refuses_a_default_or_weak_secret_key(secret):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build(
            {
                "BOOKSHOP_ENV": "production",
                "SECRET_KEY": secret,
                "STRIPE_WEBHOOK_SECRET": "w",
                **KEYS,
            }
        )


def test_production_refuses_to_make_up_a_secret_key_even_when_testing():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build({"TESTING": True, "BOOKSHOP_ENV": "production", **KEYS})


def test_production_requires_a_webhook_secret():
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        build({"BOOKSHOP_ENV": "production", "SECRET_KEY": STRONG_SECRET, **KEYS})


def test_production_with_proper_settings_starts_with_secure_cookies():
    cfg = build(
        {
            "BOOKSHOP_ENV": "production",
            "SECRET_KEY": STRONG_SECRET,
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "SHOP_URL": "https://shop.example",
            **KEYS,
        }
    )
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["PREFERRED_URL_SCHEME"] == "https"


def test_live_keys_need_an_explicit_setting():
    live = {"STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_PUBLISHABLE_KEY": "pk_live_abc"}
    with pytest.raises(ConfigError, match="ALLOW_LIVE_PAYMENTS"):
        build({"SECRET_KEY": "x", **live})
    cfg = build({"SECRET_KEY": "x", "ALLOW_LIVE_PAYMENTS": "true", **live})
    assert cfg["STRIPE_SECRET_KEY"] == "sk_live_abc"


@pytest.mark.parametrize(
    ("secret", "publishable"),
    [
        ("sk_live_a", "pk_test_a"),
        ("sk_test_a", "pk_live_a"),
        ("pk_test_a", "pk_test_a"),
        ("sk_test_a", "sk_test_a"),
    ],
)
def test_mismatched_or_misplaced_keys_are_refused(secret, publishable):
    with pytest.raises(ConfigError):
        build(
            {
                "SECRET_KEY": "x",
                "ALLOW_LIVE_PAYMENTS": True,
                "STRIPE_SECRET_KEY": secret,
                "STRIPE_PUBLISHABLE_KEY": publishable,
            }
        )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIPE_API_BASE", "localhost:12111"),
        ("STRIPE_JS_URL", "ftp://example.com/v3/"),
        ("STRIPE_TIMEOUT", "soon"),
        ("STRIPE_TIMEOUT", "0"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("BOOKSHOP_ENV", "staging"),
    ],
)
def test_malformed_settings_are_refused_with_their_name(name, value):
    with pytest.raises(ConfigError, match=name):
        build({"SECRET_KEY": "x", **KEYS, name: value})


def test_environment_values_are_read_and_blank_ones_ignored(tmp_path):
    cfg = from_environment(
        {
            "SECRET_KEY": "from-env",
            "STRIPE_API_BASE": "",
            "STRIPE_TIMEOUT": "7.5",
            "TRUSTED_HOSTS": "shop.example, www.shop.example",
            "INSTANCE_PATH": str(tmp_path),
            "UNRELATED": "ignored",
            **KEYS,
        }
    )
    assert cfg["SECRET_KEY"] == "from-env"
    assert cfg["STRIPE_API_BASE"] is None
    assert cfg["STRIPE_JS_URL"] == DEFAULT_STRIPE_JS_URL
    assert cfg["STRIPE_TIMEOUT"] == 7.5
    assert cfg["TRUSTED_HOSTS"] == ["shop.example", "www.shop.example"]
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'bookshop.db'}"
    assert "UNRELATED" not in cfg


def test_env_example_documents_every_setting():
    from pathlib import Path

    from dotenv import dotenv_values

    from bookshop.config import ENV_SETTINGS

    example = dotenv_values(Path(__file__).parents[2] / ".env.example")
    missing = [
        name
        for name in (*ENV_SETTINGS, "HOST", "PORT", "STRIPE_EMULATOR_PORT")
        if name not in example
    ]
    assert missing == []


def test_the_shop_time_zone_defaults_to_singapore_and_refuses_a_made_up_one():
    assert build({"TESTING": True, **KEYS})["SHOP_TIME_ZONE"] == "Asia/Singapore"
    assert build({"TESTING": True, "SHOP_TIME_ZONE": "Europe/Paris", **KEYS})["SHOP_TIME_ZONE"] == (
        "Europe/Paris"
    )
    with pytest.raises(ConfigError, match="SHOP_TIME_ZONE"):
        build({"TESTING": True, "SHOP_TIME_ZONE": "Mars/Olympus", **KEYS})
