"""The payload codec: AES-GCM with key ids, rotation, tampering, and the shared data converter."""

import base64
from dataclasses import dataclass
from decimal import Decimal

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from core.codec import (
    COMPRESS_FROM_BYTES,
    COMPRESSION_META,
    ENCODING,
    KEY_ID_META,
    SEALED_META,
    EncryptionCodec,
    PayloadDecryptError,
    data_converter,
    derived_key,
    new_key_entry,
    parse_payload_keys,
    payload_keys,
)
from core.config import Settings
from domain.messages import ActionInput
from domain.model import Actor

KEY_A = ("2026a", bytes(range(32)))
KEY_B = ("2026b", bytes(range(32, 64)))
ID_NUMBER = "11010519491231002X"


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_sealed_payloads_hide_the_data_and_open_again():
    codec = EncryptionCodec([KEY_A])
    original = payload(ID_NUMBER)
    [sealed] = await codec.encode([original])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID_META] == b"2026a"
    assert ID_NUMBER.encode() not in sealed.SerializeToString() and b"json/plain" not in sealed.data
    [again] = await codec.encode([original])
    assert again.data != sealed.data  # a fresh nonce every time
    assert [codec.open(p) for p in (sealed, again)] == [original, original]


async def test_large_payloads_are_compressed_before_sealing_and_the_flag_is_authenticated():
    codec = EncryptionCodec([KEY_A])
    text = "代县某劳务有限公司拖欠农民工工资" * 100  # a policy's citations repeat like this
    original = payload(text)
    [sealed] = await codec.encode([original])
    assert sealed.metadata[COMPRESSION_META] == b"zlib"
    assert len(sealed.data) < len(original.SerializeToString()) // 4
    assert codec.open(sealed) == original
    [small] = await codec.encode([payload("x")])
    assert COMPRESSION_META not in small.metadata and len(payload("x").SerializeToString()) < COMPRESS_FROM_BYTES
    stripped = Payload(metadata={k: v for k, v in sealed.metadata.items() if k != COMPRESSION_META}, data=sealed.data)
    added = Payload(metadata={**small.metadata, COMPRESSION_META: b"zlib"}, data=small.data)
    unknown = Payload(metadata={**sealed.metadata, COMPRESSION_META: b"lzma"}, data=sealed.data)
    for altered in (stripped, added, unknown):
        with pytest.raises(PayloadDecryptError):
            await codec.decode([altered])


async def test_rotation_new_key_seals_old_key_still_opens():
    old_codec = EncryptionCodec([KEY_A])
    [old] = await old_codec.encode([payload("old")])
    rotated = EncryptionCodec([KEY_B, KEY_A])
    [new] = await rotated.encode([payload("new")])
    assert new.metadata[KEY_ID_META] == b"2026b"
    assert [rotated.open(p) for p in (old, new)] == [payload("old"), payload("new")]
    with pytest.raises(PayloadDecryptError, match="key '2026b', which is not configured"):
        await old_codec.decode([new])
    retired = EncryptionCodec([KEY_B])
    with pytest.raises(PayloadDecryptError, match="2026a"):
        await retired.decode([old])


async def test_altered_payloads_and_swapped_key_ids_are_refused():
    codec = EncryptionCodec([KEY_A, KEY_B])
    [sealed] = await codec.encode([payload("x")])
    flipped = bytearray(sealed.data)
    flipped[-1] ^= 1
    with pytest.raises(PayloadDecryptError, match="altered"):
        await codec.decode([Payload(metadata=dict(sealed.metadata), data=bytes(flipped))])
    # the key id is authenticated: relabelling the payload does not make another key open it
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID_META: b"2026b"}, data=sealed.data)
    with pytest.raises(PayloadDecryptError):
        await codec.decode([relabelled])
    same_id_other_key = EncryptionCodec([("2026a", bytes(32))])
    with pytest.raises(PayloadDecryptError, match="altered, or the key under that id has changed"):
        await same_id_other_key.decode([sealed])


async def test_payloads_never_encrypted_pass_through():
    codec = EncryptionCodec([KEY_A])
    plain = payload("recorded before encryption")
    assert await codec.decode([plain]) == [plain]


async def test_only_payloads_opened_with_a_key_are_marked_sealed():
    codec = EncryptionCodec([KEY_A])
    [sealed] = await codec.encode([payload("from the service")])
    [opened] = await codec.decode([sealed])
    assert opened.metadata[SEALED_META] == b"1"
    # a sender cannot claim the seal on a plain payload
    forged = Payload(metadata={"encoding": b"json/plain", SEALED_META: b"1"}, data=b'"x"')
    [passed] = await codec.decode([forged])
    assert SEALED_META not in passed.metadata and SEALED_META in forged.metadata


async def test_the_converter_tells_a_sealed_action_from_a_plain_one():
    """What the worker sees: an action from the service is sealed; the same JSON sent in the clear (the
    Temporal CLI, the Web UI) is not, whatever it says about itself."""
    converter = data_converter(Settings(secret_key="c" * 40))
    action = ActionInput("record_payment", Actor("ghost", "admin", "hrss"), {"amount": "9999"})
    [encoded] = await converter.encode([action])
    [decoded] = await converter.decode([encoded], [ActionInput])
    assert decoded.sealed is True and decoded.params == {"amount": "9999"}
    plain = Payload(
        metadata={"encoding": b"json/plain"},
        data=b'{"action":"record_payment","actor":{"username":"ghost","role":"admin","unit":"hrss"},'
        b'"params":{"amount":"9999"},"sealed":true}',
    )
    [decoded] = await converter.decode([plain], [ActionInput])
    assert decoded.sealed is False and decoded.action == "record_payment"


def test_key_list_parsing():
    entry = new_key_entry("k1")
    keys = parse_payload_keys(f" {entry} , {new_key_entry('k0')}")
    assert [key_id for key_id, _ in keys] == ["k1", "k0"] and all(len(k) == 32 for _, k in keys)
    standard = base64.b64encode(bytes(range(32))).decode()  # '+' and '/' are fine as well as '-' and '_'
    assert parse_payload_keys(f"std:{standard}") == [("std", bytes(range(32)))]
    for bad, message in [
        ("k1", "id:base64key"),
        ("k 1:AAAA", "id:base64key"),
        ("k1:!!!", "not base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "32 bytes"),
        (f"{entry},{entry}", "twice"),
        (" , ", "names no key"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_payload_keys(bad)


def test_settings_choose_the_keys():
    derived = payload_keys(Settings(secret_key="a" * 40))
    assert derived == [derived_key("a" * 40)] and derived[0][0].startswith("s-")
    assert derived_key("b" * 40)[0] != derived[0][0]  # another secret: another key id, not a silent mismatch
    explicit = Settings(secret_key="a" * 40, payload_keys=new_key_entry("k9"))
    assert [key_id for key_id, _ in payload_keys(explicit)] == ["k9"]
    with pytest.raises(ValueError, match="WAGECASE_PAYLOAD_KEYS entry 1"):
        Settings(payload_keys="k9:nope")


@dataclass
class Claim:
    id_number: str
    amount: Decimal


async def test_the_data_converter_encrypts_values_and_failure_messages():
    converter = data_converter(Settings(secret_key="c" * 40))
    [encoded] = await converter.encode([Claim(ID_NUMBER, Decimal("3600.50"))])
    assert encoded.metadata["encoding"] == ENCODING and ID_NUMBER.encode() not in encoded.data
    assert await converter.decode([encoded], [Claim]) == [Claim(ID_NUMBER, Decimal("3600.50"))]

    failure = Failure()
    await converter.encode_failure(ApplicationError(f"duplicate worker {ID_NUMBER}", type="invalid"), failure)
    assert ID_NUMBER not in failure.message and ID_NUMBER.encode() not in failure.SerializeToString()
    decoded = await converter.decode_failure(failure)
    assert ID_NUMBER in decoded.message and decoded.type == "invalid"
