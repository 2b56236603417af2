import gzip
import subprocess
import sys

import numpy as np
import pytest

from core.data import mnist as data
from core.data.mnist import DataError, data_digest, load_split

CANONICAL_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist_has_the_canonical_shape_and_counts():
    train, test = load_split("train"), load_split("test")
    assert train.images.shape == (60000, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (10000, 28, 28)
    assert np.bincount(test.labels, minlength=10).tolist() == CANONICAL_TEST_COUNTS
    assert train.float_images()[:1000].max() == 1.0
    assert abs(float(train.images.mean()) / 255 - 0.1307) < 1e-3


def test_a_flipped_byte_in_a_copy_is_refused_naming_the_file(data_copy, tmp_cache, clear_loader_caches):
    path = data_copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[100] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz.*corrupt.*Restore"):
        load_split("test")


def test_a_damaged_gzip_is_refused(data_copy, tmp_cache, clear_loader_caches):
    path = data_copy / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz"):
        load_split("test")


def test_a_missing_file_says_how_to_restore_it(data_copy, tmp_cache, clear_loader_caches):
    (data_copy / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz is missing.*cp ../shared/data/mnist"):
        load_split("train")


def test_second_load_reads_the_cache_without_decompressing(data_copy, tmp_cache, clear_loader_caches, monkeypatch):
    first = load_split("test")
    assert data.cache_path_for("t10k-images-idx3-ubyte").is_file()
    load_split.cache_clear()

    def must_not_run(name):
        raise AssertionError(f"{name} was decompressed again")

    monkeypatch.setattr(data, "_read_verified", must_not_run)
    second = load_split("test")
    assert np.array_equal(first.images, second.images)


def test_cache_is_rebuilt_and_reverified_when_the_source_changes(data_copy, tmp_cache, clear_loader_caches):
    load_split("test")
    load_split.cache_clear()
    path = data_copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[200] ^= 0x01
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match=r"corrupt"):
        load_split("test")


def test_a_fresh_process_loads_from_the_cache(tmp_cache):
    code = "from core.data.mnist import load_split; s = load_split('test'); print(len(s))"
    for _ in range(2):  # the first builds the cache, the second must only read it
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "10000"
    assert data.cache_path_for("t10k-images-idx3-ubyte").is_file()


def test_data_digest_is_stable():
    assert data_digest() == data_digest() and len(data_digest()) == 16
