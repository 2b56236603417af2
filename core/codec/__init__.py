"""The auto-encoder as a real codec: rate-trained models, integer entropy tables, a range coder, a file format.

`entropy` (tables + coder), `model` (the rate model), `latent_codec` (quantise, code, decode), `fileformat`,
`store` (shipped rate models and their qualities), `training`, `records`; `python -m core.codec` is the CLI.
"""

from core.codec.fileformat import CodecFileError, Header
from core.codec.latent_codec import Decoded, compress, decompress, digit_code, read_header
from core.codec.records import codec_records, codec_records_cached
from core.codec.store import Quality, qualities

__all__ = [
    "CodecFileError",
    "Decoded",
    "Header",
    "Quality",
    "codec_records",
    "codec_records_cached",
    "compress",
    "decompress",
    "digit_code",
    "qualities",
    "read_header",
]
