"""deepsig's signatures against iisignature, finite differences and the identities."""

import threading

import iisignature
import numpy as np
import pytest

import deepsig

RNG = np.random.default_rng(7)


def paths(b, length, d, dtype=np.float64):
    return RNG.standard_normal((b, length, d)).astype(dtype) * 0.5


@pytest.mark.parametrize("d,depth", [(2, 1), (2, 4), (3, 3), (5, 2), (4, 4)])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_signature_matches_iisignature(d, depth, dtype, tol):
    x = paths(4, 30, d, dtype)
    want = iisignature.sig(x.astype(np.float64), depth)
    got = deepsig.signature(x, depth)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(deepsig.signature(x[1], depth), want[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("d,depth", [(2, 5), (3, 4), (4, 3)])
def test_logsignature_modes_match_iisignature(d, depth, dtype, tol):
    x = paths(3, 25, d, dtype)
    x64 = x.astype(np.float64)
    s = iisignature.prepare(d, depth, "SX")
    brackets = deepsig.logsignature(x, depth, mode="brackets")
    np.testing.assert_allclose(brackets, iisignature.logsig(x64, s, "S"), rtol=tol, atol=tol)
    expanded = iisignature.logsig(x64, s, "X")
    np.testing.assert_allclose(
        deepsig.logsignature(x, depth, mode="expand"), expanded, rtol=tol, atol=tol
    )
    # words: the expanded log at the Lyndon words.
    offsets = np.cumsum([0] + [d**k for k in range(1, depth + 1)])
    index = [
        offsets[len(w) - 1] + sum(l * d ** (len(w) - 1 - p) for p, l in enumerate(w))
        for w in deepsig.lyndon_words(d, depth)
    ]
    words = deepsig.logsignature(x, depth)
    assert words.dtype == dtype
    np.testing.assert_allclose(words, expanded[:, index], rtol=tol, atol=tol)


def test_lyndon_words_are_iisignature_basis_order():
    for d, depth in [(2, 4), (3, 3)]:
        basis = iisignature.basis(iisignature.prepare(d, depth, "S"))
        letters = ["".join(ch for ch in b if ch.isdigit()) for b in basis]
        ours = ["".join(str(l + 1) for l in w) for w in deepsig.lyndon_words(d, depth)]
        assert ours == letters
        assert deepsig.logsignature_channels(d, depth) == len(basis)
        assert deepsig.signature_channels(d, depth) == iisignature.siglength(d, depth)


def test_stream_is_every_prefix():
    x = paths(2, 12, 3)
    got = deepsig.signature(x, 3, stream=True)
    np.testing.assert_allclose(got, iisignature.sig(x, 3, 2), atol=1e-12)
    logs = deepsig.logsignature(x, 3, stream=True, mode="expand")
    for j in range(1, 12):
        np.testing.assert_allclose(
            logs[:, j - 1], deepsig.logsignature(x[:, : j + 1], 3, mode="expand"), atol=1e-12
        )


def test_augmentations_are_the_documented_paths():
    x = paths(2, 9, 2)
    b, length, d = x.shape
    zero = np.zeros((b, 1, d))
    np.testing.assert_allclose(
        deepsig.signature(x, 3, basepoint=True),
        deepsig.signature(np.concatenate([zero, x], 1), 3),
        atol=1e-12,
    )
    point = RNG.standard_normal((b, d))
    np.testing.assert_allclose(
        deepsig.signature(x, 3, basepoint=point),
        deepsig.signature(np.concatenate([point[:, None], x], 1), 3),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        deepsig.signature(x, 3, inverse=True), deepsig.signature(x[:, ::-1], 3), atol=1e-12
    )
    t = np.broadcast_to(np.linspace(0, 1, length)[None, :, None], (b, length, 1))
    np.testing.assert_allclose(
        deepsig.signature(x, 3, time=True),
        deepsig.signature(np.concatenate([t, x], 2), 3),
        atol=1e-12,
    )
    lead_lag = np.empty((b, 2 * length - 1, 2 * d))
    lead_lag[:, 0::2] = np.concatenate([x, x], 2)
    lead_lag[:, 1::2] = np.concatenate([x[:, 1:], x[:, :-1]], 2)
    np.testing.assert_allclose(
        deepsig.signature(x, 2, lead_lag=True), deepsig.signature(lead_lag, 2), atol=1e-12
    )
    with_one = deepsig.signature(x, 2, scalar_term=True)
    assert np.all(with_one[:, 0] == 1.0)
    np.testing.assert_allclose(with_one[:, 1:], deepsig.signature(x, 2), atol=0)


def test_combine_is_chens_identity():
    x = paths(3, 20, 3)
    a = deepsig.signature(x[:, :8], 3)
    b = deepsig.signature(x[:, 7:], 3)
    np.testing.assert_allclose(
        deepsig.signature_combine(a, b, 3, 3), deepsig.signature(x, 3), atol=1e-12
    )
    np.testing.assert_allclose(
        deepsig.signature_combine(a[0], b[0], 3, 3), deepsig.signature(x[0], 3), atol=1e-12
    )


OPTIONS = [
    dict(),
    dict(stream=True),
    dict(basepoint=True, time=True),
    dict(inverse=True, lead_lag=True),
]


@pytest.mark.parametrize("mode", [None, "words", "brackets", "expand"])
@pytest.mark.parametrize("options", OPTIONS)
def test_backward_matches_finite_differences(mode, options):
    x = paths(2, 6, 2)
    depth = 3

    def f(p):
        if mode is None:
            return deepsig.signature(p, depth, **options)
        return deepsig.logsignature(p, depth, mode=mode, **options)

    grad = RNG.standard_normal(f(x).shape)
    if mode is None:
        dx = deepsig.signature_backward(x, grad, depth, **options)
    else:
        dx = deepsig.logsignature_backward(x, grad, depth, mode=mode, **options)
    assert dx.shape == x.shape
    for _ in range(3):
        v = RNG.standard_normal(x.shape)
        h = 1e-5
        numeric = (np.sum(grad * f(x + h * v)) - np.sum(grad * f(x - h * v))) / (2 * h)
        assert np.sum(dx * v) == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_backward_matches_iisignature_sigbackprop():
    x = paths(3, 40, 3)
    grad = RNG.standard_normal((3, iisignature.siglength(3, 4)))
    # iisignature's sigbackprop accumulates in float32.
    want = iisignature.sigbackprop(grad, x, 4)
    np.testing.assert_allclose(deepsig.signature_backward(x, grad, 4), want, rtol=1e-4, atol=1e-5)


def test_f32_backward_is_f32_and_close_to_f64():
    x = paths(2, 30, 3)
    grad = RNG.standard_normal((2, deepsig.signature_channels(3, 3)))
    d64 = deepsig.signature_backward(x, grad, 3)
    d32 = deepsig.signature_backward(x.astype(np.float32), grad.astype(np.float32), 3)
    assert d32.dtype == np.float32
    np.testing.assert_allclose(d32, d64, rtol=1e-3, atol=1e-3)


def test_non_contiguous_and_list_inputs():
    x = paths(2, 10, 3)
    fortran = np.asfortranarray(x)
    np.testing.assert_allclose(deepsig.signature(fortran, 3), deepsig.signature(x, 3))
    np.testing.assert_allclose(
        deepsig.signature(x[:, ::2], 2), deepsig.signature(x[:, ::2].copy(), 2)
    )
    assert deepsig.signature([[0.0, 0.0], [1.0, 2.0]], 2).tolist() == [1, 2, 0.5, 1, 1, 2]


def test_threads_give_the_same_answer_and_calls_run_concurrently():
    x = paths(64, 200, 4)
    want = deepsig.signature(x, 4)
    np.testing.assert_array_equal(deepsig.signature(x, 4, threads=1), want)
    np.testing.assert_array_equal(deepsig.signature(x, 4, threads=2), want)
    results = [None] * 4

    def work(i):
        results[i] = deepsig.signature(x, 4, threads=1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, want)


def test_bad_inputs_name_the_argument():
    x = paths(3, 10, 2)
    with pytest.raises(TypeError, match="path: dtype int64"):
        deepsig.signature(np.zeros((4, 2), dtype=np.int64), 2)
    with pytest.raises(ValueError, match=r"path: expected a \(length, channels\)"):
        deepsig.signature(np.zeros(4), 2)
    bad = x.copy()
    bad[1, 3, 0] = np.nan
    with pytest.raises(ValueError, match="path: batch element 1, point 3, channel 0"):
        deepsig.signature(bad, 2)
    bad[1, 3, 0] = np.inf
    with pytest.raises(ValueError, match="batch element 1, point 3"):
        deepsig.logsignature(bad, 2)
    with pytest.raises(ValueError, match="path: the path has no points"):
        deepsig.signature(np.zeros((2, 0, 3)), 2)
    with pytest.raises(ValueError, match="path: a path needs at least 2 points"):
        deepsig.signature(np.zeros((1, 3)), 2)
    with pytest.raises(ValueError, match="path: has no channels"):
        deepsig.signature(np.zeros((3, 0)), 2)
    with pytest.raises(ValueError, match="depth"):
        deepsig.signature(x, 0)
    with pytest.raises(ValueError, match="mode: 'lyndon'"):
        deepsig.logsignature(x, 2, mode="lyndon")
    with pytest.raises(ValueError, match="grad: expected the output's shape"):
        deepsig.signature_backward(x, np.zeros((3, 5)), 2)
    grad = np.zeros((3, 6))
    grad[2, 1] = np.nan
    with pytest.raises(ValueError, match="grad: element 13"):
        deepsig.signature_backward(x, grad, 2)
    with pytest.raises(ValueError, match="threads"):
        deepsig.signature(x, 2, threads=0)
    with pytest.raises(ValueError, match="basepoint: expected shape"):
        deepsig.signature(x, 2, basepoint=np.zeros(5))
    with pytest.raises(ValueError, match="sigtensor2: shape"):
        deepsig.signature_combine(np.zeros((2, 6)), np.zeros((3, 6)), 2, 2)
