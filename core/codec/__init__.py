"""The auto-encoder as a real codec: rate-trained models, integer entropy tables, a range coder, a file format.

`entropy` (tables + range coder), `exact_coder` (a few digits, exactly), `model` (the rate model), `latent_codec`
(quantise, code, decode), `fileformat` (+ `long_format`, `names`, `registry`), `text_form`, `store`, `training`,
`records`; `python -m core.codec` is the CLI.
"""

from importlib import import_module

#: Where each public name lives. Imported when first asked for (PEP 562): the codec's model needs torch, and
#: a page that only reads the codec's shipped records must not wait for it.
_HOMES = {
    "CodecFileError": "file_types",
    "Header": "file_types",
    "Decoded": "latent_codec",
    "compress": "latent_codec",
    "decompress": "latent_codec",
    "digit_code": "latent_codec",
    "read_header": "latent_codec",
    "codec_records": "records",
    "codec_records_cached": "records",
    "Quality": "store",
    "qualities": "store",
    "decode_text": "text_form",
    "digit_text": "text_form",
    "from_text": "text_form",
    "to_text": "text_form",
}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"core.codec.{_HOMES[name]}"), name)


__all__ = sorted(_HOMES)
