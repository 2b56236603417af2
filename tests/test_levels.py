import pytest

from core.levels import (
    SHIPPED_LATENT_DIMS,
    STUDY_LATENT_DIMS,
    STUDY_LEVELS_PCT,
    check_latent_dim,
    compression_pct,
    latent_bytes,
    latent_dim_for,
)


def test_study_levels_map_to_the_studys_latent_sizes():
    assert STUDY_LEVELS_PCT == (50, 90, 95, 99)
    assert STUDY_LATENT_DIMS == (392, 78, 39, 8)
    assert [latent_dim_for(p) for p in STUDY_LEVELS_PCT] == [round(784 * (1 - p / 100)) for p in STUDY_LEVELS_PCT]


def test_compression_pct_inverts_latent_dim_for_the_study_levels():
    for pct in STUDY_LEVELS_PCT:
        assert compression_pct(latent_dim_for(pct)) == pytest.approx(pct, abs=0.07)


def test_shipped_sizes_include_the_study_levels_and_a_sweep():
    assert set(STUDY_LATENT_DIMS) < set(SHIPPED_LATENT_DIMS)
    assert len(SHIPPED_LATENT_DIMS) >= 8
    assert list(SHIPPED_LATENT_DIMS) == sorted(SHIPPED_LATENT_DIMS)


@pytest.mark.parametrize("bad", [0, 785, -3, 2.5, "8", True])
def test_latent_sizes_outside_1_to_784_are_refused(bad):
    with pytest.raises(ValueError, match="latent size"):
        check_latent_dim(bad)


def test_latent_bytes_counts_each_storage_type():
    assert latent_bytes(392, "float32") == 1568
    assert latent_bytes(392, "float16") == 784
    assert latent_bytes(8, "uint8") == 8
