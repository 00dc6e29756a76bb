"""What the live-book tests share: fake credentials, and the check that none of them leaked into an output."""

FAKE_KEY = "FAKEapiKEY0123456789xlmargin"
FAKE_SECRET = "FAKEsecretABCDEFxlmargin9876"
FAKE_PASSWORD = "FAKEpassPHRASE42"


def assert_no_keys(*texts) -> None:
    for text in texts:
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        for secret in (FAKE_KEY, FAKE_SECRET, FAKE_PASSWORD):
            assert secret not in text, "a credential leaked into an output"
