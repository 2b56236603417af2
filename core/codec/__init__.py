"""The auto-encoder as a real codec: rate-trained models, integer entropy tables, a range coder, a file format.

`entropy` (tables + range coder), `exact_coder` (a few digits, exactly), `model` (the rate model), `latent_codec`
(quantise, code, decode), `fileformat` (+ `long_format`, `names`, `registry`), `text_form`, `store`, `training`,
`records`; `python -m core.codec` is the CLI.
"""

from core.codec.file_types import CodecFileError, Header
from core.codec.latent_codec import Decoded, compress, decompress, digit_code, read_header
from core.codec.records import codec_records, codec_records_cached
from core.codec.store import Quality, qualities
from core.codec.text_form import decode_text, digit_text, from_text, to_text

__all__ = [
    "CodecFileError",
    "Decoded",
    "Header",
    "Quality",
    "codec_records",
    "codec_records_cached",
    "compress",
    "decode_text",
    "decompress",
    "digit_code",
    "digit_text",
    "from_text",
    "qualities",
    "read_header",
    "to_text",
]
