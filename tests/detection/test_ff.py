"""FF block compression: numba kernels against their numpy twins and against the block definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from detection.scan import _ff_kernels as k
from detection.scan.ff import FFAccumulator, FFPlanes, compress_block, compress_block_np


def _assert_same(a: FFPlanes, b: FFPlanes) -> None:
    assert a.nframes == b.nframes
    for name in ("maxpixel", "maxframe", "avepixel", "stdpixel"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def _random_block(n: int, seed: int, shape: tuple[int, int] = (24, 40)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8)


def _adversarial_blocks() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    blocks = [
        ("all 255", np.full((256, 8, 16), 255, dtype=np.uint8)),
        ("all 0", np.zeros((10, 8, 16), dtype=np.uint8)),
        ("ties 0..2", rng.integers(0, 3, (50, 8, 16), dtype=np.uint8)),
        ("ties 254..255", rng.integers(254, 256, (256, 8, 16), dtype=np.uint8)),
        ("0 and 255", (rng.integers(0, 2, (256, 8, 16)) * 255).astype(np.uint8)),
        ("random 256", _random_block(256, 11, (16, 24))),
    ]
    rising = np.broadcast_to(np.arange(256, dtype=np.uint8)[:, None, None], (256, 4, 4)).copy()
    blocks += [("rising", rising), ("falling", rising[::-1].copy())]
    return blocks


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 31, 255, 256])
def test_compress_block_equals_numpy_definition(n: int) -> None:
    frames = _random_block(n, seed=n)
    _assert_same(compress_block(frames), compress_block_np(frames))


@pytest.mark.parametrize(
    ("label", "frames"), _adversarial_blocks(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_adversarial_blocks_equal_numpy_definition(label: str, frames: np.ndarray) -> None:
    _assert_same(compress_block(frames), compress_block_np(frames))


@pytest.mark.parametrize("n", [1, 5, 6, 100])
def test_kernels_equal_their_numpy_twins(n: int) -> None:
    frames = _random_block(n, seed=100 + n, shape=(12, 20))
    shape = frames.shape[1:]
    states = []
    for acc in (k.accumulate, k.accumulate_np):
        top = np.zeros((4, *shape), np.uint8)
        total = np.zeros(shape, np.uint32)
        total_sq = np.zeros(shape, np.uint32)
        maxframe = np.zeros(shape, np.uint8)
        acc(frames[: n // 2], 0, top, total, total_sq, maxframe)
        acc(frames[n // 2 :], n // 2, top, total, total_sq, maxframe)
        states.append((top, total, total_sq, maxframe))
    for a, b in zip(*states, strict=True):
        np.testing.assert_array_equal(a, b)
    outs = []
    for fin in (k.finish, k.finish_np):
        planes = tuple(np.empty(shape, np.uint8) for _ in range(3))
        fin(*states[0][:3], n, *planes)
        outs.append(planes)
    for a, b in zip(*outs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_known_answer_series() -> None:
    # Values 0..9 in scrambled order: the four largest (6..9) go; 0..5 have mean 2.5 -> 3 and sample
    # standard deviation sqrt(3.5) = 1.87 -> 2; the maximum 9 sits in frame 4.
    order = np.array([3, 7, 0, 5, 9, 1, 8, 2, 6, 4], dtype=np.uint8)
    frames = np.broadcast_to(order[:, None, None], (10, 2, 2)).copy()
    planes = compress_block(frames)
    assert planes.maxpixel.tolist() == [[9, 9], [9, 9]]
    assert planes.maxframe.tolist() == [[4, 4], [4, 4]]
    assert planes.avepixel.tolist() == [[3, 3], [3, 3]]
    assert planes.stdpixel.tolist() == [[2, 2], [2, 2]]


def test_few_frames_keep_every_value() -> None:
    # N = 5 < 6: nothing removed; values 10, 20, 30, 40, 50: mean 30, sample sd sqrt(250) = 15.8 -> 16.
    frames = np.array([10, 20, 30, 40, 50], dtype=np.uint8)[:, None, None]
    planes = compress_block(frames)
    assert (planes.avepixel[0, 0], planes.stdpixel[0, 0], planes.maxframe[0, 0]) == (30, 16, 4)


def test_maxframe_is_first_frame_holding_the_max() -> None:
    frames = _random_block(256, seed=3)
    frames[[10, 20, 200], 5, 6] = 255  # a tie: the first of them counts
    frames[:10, 5, 6] = np.minimum(frames[:10, 5, 6], 254)
    planes = compress_block(frames)
    assert planes.maxframe[5, 6] == 10
    held = np.take_along_axis(frames, planes.maxframe[None].astype(np.intp), axis=0)[0]
    np.testing.assert_array_equal(held, planes.maxpixel)
    earlier = np.arange(256)[:, None, None] < planes.maxframe[None]
    assert not np.any((frames == planes.maxpixel[None]) & earlier)


@pytest.mark.parametrize("use_numba", [True, False])
def test_streaming_chunks_equal_one_shot_and_reset(use_numba: bool) -> None:
    frames = _random_block(256, seed=5)
    acc = FFAccumulator(*frames.shape[1:], use_numba=use_numba)
    for start, stop in [(0, 1), (1, 40), (40, 41), (41, 200), (200, 256)]:
        acc.add(frames[start:stop])
    assert acc.nframes == 256
    _assert_same(acc.finish(), compress_block_np(frames))
    assert acc.nframes == 0
    acc.add(frames[:7])  # the next block starts from scratch
    _assert_same(acc.finish(), compress_block_np(frames[:7]))


def test_non_contiguous_input_is_accepted() -> None:
    frames = _random_block(20, seed=8, shape=(16, 32))
    view = frames[:, ::2, 1::2]
    _assert_same(compress_block(view), compress_block_np(np.ascontiguousarray(view)))


def test_invalid_input_is_refused_with_a_clear_message() -> None:
    acc = FFAccumulator(4, 5)
    with pytest.raises(ValueError, match="expected a uint8 array"):
        acc.add(np.zeros((2, 4, 5), dtype=np.uint16))
    with pytest.raises(ValueError, match=r"expected \(H, W\) = \(4, 5\)"):
        acc.add(np.zeros((2, 5, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="no frames"):
        acc.finish()
    acc.add(np.zeros((200, 4, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match="exceed the block size 256"):
        acc.add(np.zeros((57, 4, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected 1\.\.256"):
        compress_block_np(np.zeros((257, 2, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"FFPlanes.avepixel: got int16"):
        z = np.zeros((2, 2), np.uint8)
        FFPlanes(z, z, z.astype(np.int16), z, 3)


_blocks = st.integers(1, 24).flatmap(
    lambda n: hnp.arrays(np.uint8, st.tuples(st.just(n), st.integers(1, 5), st.integers(1, 7)))
)


@settings(deadline=None, max_examples=150)
@given(frames=_blocks)
def test_property_kernel_equals_definition(frames: np.ndarray) -> None:
    _assert_same(compress_block(frames), compress_block_np(frames))


@settings(deadline=None, max_examples=100)
@given(frames=_blocks, data=st.data())
def test_property_any_chunking_gives_the_same_planes(frames: np.ndarray, data: st.DataObject) -> None:
    n = frames.shape[0]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
    acc = FFAccumulator(*frames.shape[1:])
    for start, stop in zip([0, *cuts], [*cuts, n], strict=True):
        acc.add(frames[start:stop])
    _assert_same(acc.finish(), compress_block(frames))


@settings(deadline=None, max_examples=100)
@given(frames=_blocks)
def test_property_planes_are_ordered(frames: np.ndarray) -> None:
    planes = compress_block(frames)
    assert np.all(planes.avepixel <= planes.maxpixel)
    assert np.all(planes.avepixel >= frames.min(axis=0))
    assert np.all(planes.maxframe < frames.shape[0])
    # The largest sample sd of values in 0..255 is that of {0, 255}: 255 / sqrt(2) = 180.3.
    assert np.all(planes.stdpixel <= 180)
