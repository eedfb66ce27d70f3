"""Encryption of everything the service hands to Temporal, so its database and Web UI hold no personal data.

Every payload (workflow and activity inputs and results, update arguments, static summaries, failure
messages) is sealed with AES-256-GCM before it leaves the process. The payload names the id of the key
that sealed it, so keys can be rotated: WAGECASE_PAYLOAD_KEYS lists `id:base64key` entries, the first
seals new payloads and all of them open old ones. Without that setting one key is derived from
WAGECASE_SECRET_KEY (which then must not change while workflows are open).

Search attributes are never encrypted by Temporal: keep personal data out of them.

Only the service changes a case. Anyone who can reach Temporal (its CLI, its Web UI) can send an update
or a signal with whatever JSON they like; AES-GCM authenticates, so a payload this codec opens was made by
a holder of the key. Opening marks such a payload (SEALED_META, set here and never trusted from outside),
and the payload converter tells the workflow through the `sealed` field of the message it decodes: the
update validator refuses what was not sealed. (A codec that raised on a plain payload would fail the whole
workflow task, and plain payloads in histories recorded before encryption must still replay.)

    python -m core.codec     # print a fresh key entry for WAGECASE_PAYLOAD_KEYS
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
import secrets
import zlib
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

if TYPE_CHECKING:
    from core.config import Settings

ENCODING = b"binary/encrypted"
KEY_ID_META = "encryption-key-id"
COMPRESSION_META = "encryption-compression"  # b"zlib": the sealed bytes were compressed before encryption
SEALED_META = "wagecase-sealed"  # on a payload this process opened with one of its keys; stripped from others
NONCE_BYTES = 12
# Payloads at least this long are compressed before they are sealed (encrypted bytes do not compress). A
# case's workflow input is mostly its policy, a JSON snapshot of the jurisdiction's rules with their
# citations (about 15 KB, 4 KB compressed), so this is what keeps Temporal's history small.
COMPRESS_FROM_BYTES = 512
KEY_BYTES = 32  # AES-256
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class PayloadDecryptError(ValueError):
    """A payload cannot be opened: its key is not configured, or it was altered."""


def parse_payload_keys(text: str) -> list[tuple[str, bytes]]:
    """The (key id, key) pairs of a WAGECASE_PAYLOAD_KEYS value; ValueError naming the bad entry."""
    keys: list[tuple[str, bytes]] = []
    for number, entry in enumerate((e.strip() for e in text.split(",")), start=1):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise ValueError(
                f"WAGECASE_PAYLOAD_KEYS entry {number} must look like id:base64key, with an id of "
                "letters, digits, '_', '.' or '-'"
            )
        standard = encoded.strip().replace("-", "+").replace("_", "/")  # URL-safe base64 is fine too
        try:
            key = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"WAGECASE_PAYLOAD_KEYS entry {number} ({key_id}): the key is not base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(
                f"WAGECASE_PAYLOAD_KEYS entry {number} ({key_id}): the key must be {KEY_BYTES} bytes "
                f"(AES-256), not {len(key)}"
            )
        if any(known == key_id for known, _ in keys):
            raise ValueError(f"WAGECASE_PAYLOAD_KEYS names key id {key_id} twice")
        keys.append((key_id, key))
    if not keys:
        raise ValueError("WAGECASE_PAYLOAD_KEYS is set but names no key")
    return keys


def derived_key(secret_key: str) -> tuple[str, bytes]:
    """The key derived from the service's secret key, with an id that changes when the secret does."""
    key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"wagecase temporal payloads").derive(
        secret_key.encode()
    )
    return f"s-{hashlib.sha256(key).hexdigest()[:10]}", key


def payload_keys(settings: Settings) -> list[tuple[str, bytes]]:
    """The keys of these settings: WAGECASE_PAYLOAD_KEYS if set, else the one derived from the secret key."""
    if settings.payload_keys:
        return parse_payload_keys(settings.payload_keys)
    return [derived_key(settings.secret_key)]


def _associated_data(key_id: str, compressed: bool) -> bytes:
    """What AES-GCM authenticates beside the bytes: the key id, and the compression flag when set (so that
    a payload whose flag was added or removed does not open). Uncompressed payloads keep the key id alone,
    as every payload sealed before compression did."""
    return key_id.encode() + (b"\0zlib" if compressed else b"")


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM for Temporal payloads; the first key seals, every key opens what it sealed."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]):
        if not keys:
            raise ValueError("an EncryptionCodec needs at least one key")
        self.current_key_id = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    @property
    def key_ids(self) -> list[str]:
        """The ids of the keys this codec can open, the sealing key first."""
        return list(self._ciphers)

    def seal(self, payload: Payload) -> Payload:
        """The payload encrypted with the current key (the key id, and whether the bytes were compressed,
        are authenticated with it)."""
        key_id = self.current_key_id
        plain = payload.SerializeToString()
        metadata = {"encoding": ENCODING, KEY_ID_META: key_id.encode()}
        compressed = len(plain) >= COMPRESS_FROM_BYTES
        if compressed:
            plain = zlib.compress(plain, 6)
            metadata[COMPRESSION_META] = b"zlib"
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, plain, _associated_data(key_id, compressed))
        return Payload(metadata=metadata, data=nonce + sealed)

    def open(self, payload: Payload) -> Payload:
        """The original payload; a payload that was never encrypted is returned as it is."""
        if payload.metadata.get("encoding") != ENCODING:
            if SEALED_META in payload.metadata:  # a sender cannot claim the seal
                payload = Payload(metadata=payload.metadata, data=payload.data)
                del payload.metadata[SEALED_META]
            return payload
        key_id = payload.metadata.get(KEY_ID_META, b"").decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptError(
                f"the payload was encrypted with key {key_id!r}, which is not configured "
                f"here (keys: {', '.join(self._ciphers)}); add it to WAGECASE_PAYLOAD_KEYS"
            )
        compression = payload.metadata.get(COMPRESSION_META)
        if compression not in (None, b"zlib"):
            raise PayloadDecryptError(f"the payload names an unknown compression {compression!r}")
        compressed = compression is not None
        try:
            plain = cipher.decrypt(
                payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], _associated_data(key_id, compressed)
            )
        except InvalidTag:
            raise PayloadDecryptError(
                f"the payload does not open with key {key_id!r}: it was altered, or the key under that id has changed"
            ) from None
        # Only a holder of the key sealed these bytes, so their decompressed size is no one else's choice.
        return Payload.FromString(zlib.decompress(plain) if compressed else plain)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Seal every payload."""
        return [self.seal(p) for p in payloads]

    def open_marked(self, payload: Payload) -> Payload:
        """The original payload, marked with SEALED_META when it was sealed with one of the keys."""
        sealed = payload.metadata.get("encoding") == ENCODING
        opened = self.open(payload)
        if sealed:
            opened.metadata[SEALED_META] = b"1"
        return opened

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Open every payload; those that were sealed are marked so (SEALED_META)."""
        return [self.open_marked(p) for p in payloads]


# One cache of pydantic type adapters for the whole process. The worker makes a new payload converter for
# every workflow instance it loads; with the SDK's per-converter cache each new case rebuilt the adapters of
# its input types (worker CPU per complaint 99 -> 59 ms with this cache, sandboxed; README "Performance").
_TYPE_ADAPTERS = functools.lru_cache(maxsize=1024)(TypeAdapter)


class SharedCachePayloadConverter(PydanticPayloadConverter):
    """Temporal's pydantic JSON payload converter, with the type adapters cached once per process.

    A decoded message with a `sealed` field (domain.messages.ActionInput) gets it set from the payload:
    True only when this process's codec opened it (SEALED_META), whatever the JSON said."""

    def __init__(self) -> None:
        super().__init__()
        for converter in self.converters.values():
            if isinstance(converter, PydanticJSONPlainPayloadConverter):
                converter._type_adapter = _TYPE_ADAPTERS

    def from_payloads(self, payloads: Sequence[Payload], type_hints: list[type] | None = None) -> list[Any]:
        values = super().from_payloads(payloads, type_hints)
        for payload, value in zip(payloads, values):
            if getattr(type(value), "SEALABLE", False):
                value.sealed = payload.metadata.get(SEALED_META) == b"1"
        return values


def payload_codec(settings: Settings) -> EncryptionCodec:
    """The codec for these settings' keys."""
    return EncryptionCodec(payload_keys(settings))


def data_converter(settings: Settings) -> DataConverter:
    """The one data converter of clients, workers, replayers and tests: pydantic JSON, then encryption.

    Failure messages and stack traces are moved into an encrypted payload too, since they can quote
    personal data (a database error quoting its parameters, say)."""
    return DataConverter(
        payload_converter_class=SharedCachePayloadConverter,
        payload_codec=payload_codec(settings),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def new_key_entry(key_id: str | None = None) -> str:
    """A fresh `id:base64key` entry for WAGECASE_PAYLOAD_KEYS."""
    key_id = key_id or f"{date.today():%Y%m%d}-{secrets.token_hex(2)}"
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


if __name__ == "__main__":
    print(new_key_entry())
