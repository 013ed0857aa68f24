"""The entity types LLM Council detects, and the labels their placeholders carry."""

from __future__ import annotations

API_KEY = "API_KEY"
PRIVATE_KEY = "PRIVATE_KEY"
ACCESS_TOKEN = "ACCESS_TOKEN"
PASSWORD = "PASSWORD"
# Credentials: redacted or blocked under every policy, ``off`` included.
SECRET_ENTITIES = frozenset({API_KEY, PRIVATE_KEY, ACCESS_TOKEN, PASSWORD})
NER_ENTITIES = ("PERSON", "LOCATION")
# Text the user typed that looks like one of our placeholders: escaped, never counted.
LITERAL_PLACEHOLDER = "LITERAL_PLACEHOLDER"

# Placeholder labels: short, and what a model reads as "an e-mail", "a card".
LABELS: dict[str, str] = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP",
    "MAC_ADDRESS": "MAC",
    "CRYPTO": "WALLET",
    "US_SSN": "SSN",
    "US_ITIN": "ITIN",
    "UK_NINO": "NINO",
    "UK_NHS": "NHS",
    "SG_NRIC_FIN": "NRIC",
    "FI_PERSONAL_IDENTITY_CODE": "FI_ID",
    "SE_PERSONNUMMER": "SE_ID",
    "IT_FISCAL_CODE": "IT_FISCAL",
    API_KEY: "API_KEY",
    PRIVATE_KEY: "PRIVATE_KEY",
    ACCESS_TOKEN: "TOKEN",
    PASSWORD: "PASSWORD",
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    LITERAL_PLACEHOLDER: "LITERAL",
}


def label_for(entity: str) -> str:
    return LABELS.get(entity, entity)
