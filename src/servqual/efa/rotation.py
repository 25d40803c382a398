"""Rotation of extracted loadings: oblimin (quartimin) by gradient projection as GPArotation,
psych's promax, varimax with Kaiser normalisation, and the sign and order psych gives factors."""

from __future__ import annotations

import numpy as np

from servqual.efa.correlations import EFAError


def _varimax(loadings: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Varimax with Kaiser normalisation, as R's stats::varimax (used by psych).

    Maximises ``sum_j [sum_i l_ij^4 / p - (sum_i l_ij^2 / p)^2]`` of the row-normalised loadings
    by Kaiser's (1958, Psychometrika 23(3)) SVD iteration. Returns the rotated loadings and
    the orthogonal rotation matrix T (rotated = loadings @ T).
    """
    row_norm = np.sqrt(np.einsum("ij,ij->i", loadings, loadings))
    x = loadings / row_norm[:, None]
    p, k = x.shape
    rotation = np.eye(k)
    criterion = 0.0
    for _ in range(1000):
        z = x @ rotation
        u, d, vt = np.linalg.svd(x.T @ (z**3 - z * (z**2).sum(axis=0) / p))
        rotation = u @ vt
        previous, criterion = criterion, d.sum()
        if criterion < previous * (1 + eps):
            break
    return (x @ rotation) * row_norm[:, None], rotation


def _promax(loadings: np.ndarray, power: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Promax after Kaiser row normalisation, as psych's ``rotate = "promax"``.

    Rows are divided by sqrt(h2), varimax-rotated, then an oblique transform U is fitted by least
    squares to the target ``x |x|^(power - 1)`` and rescaled so the factors have unit variance;
    ``Phi = U^-1 U^-T`` (Hendrickson & White 1964, British J. Statistical Psychology 17(1)).
    Returns the pattern loadings and Phi.
    """
    row_norm = np.sqrt(np.einsum("ij,ij->i", loadings, loadings))
    x, varimax_rotation = _varimax(loadings / row_norm[:, None])
    target = x * np.abs(x) ** (power - 1)
    u = np.linalg.lstsq(x, target, rcond=None)[0]
    u = u * np.sqrt(np.diag(np.linalg.inv(u.T @ u)))
    inverse = np.linalg.inv(varimax_rotation @ u)
    return (x @ u) * row_norm[:, None], inverse @ inverse.T


def _quartimin_criterion(loadings: np.ndarray) -> tuple[float, np.ndarray]:
    """Oblimin criterion with gamma 0, ``sum_i sum_(j != m) l_ij^2 l_im^2 / 4``, and its gradient
    in the loadings (GPArotation's vgQ.oblimin)."""
    squares = loadings**2
    x = squares @ (1.0 - np.eye(loadings.shape[1]))
    return float(np.sum(squares * x) / 4), loadings * x


def _oblimin(
    loadings: np.ndarray,
    start: np.ndarray,
    eps: float = 1e-5,
    max_iter: int = 1000,
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Oblique gradient projection rotation (GPArotation's GPFoblq), oblimin with gamma 0.

    Minimises the criterion over T with unit-length columns; pattern = A T^-T, Phi = T'T
    (Jennrich 2002, Psychometrika 67(1); Bernaards & Jennrich 2005, Educational and
    Psychological Measurement 65(5)). Returns pattern, Phi, criterion value and convergence.
    """
    rotation = start
    pattern = loadings @ np.linalg.inv(rotation).T
    criterion, gq = _quartimin_criterion(pattern)
    gradient = -(pattern.T @ gq @ np.linalg.inv(rotation)).T
    step = 1.0
    converged = False
    for _ in range(max_iter + 1):
        projected = gradient - rotation * np.sum(rotation * gradient, axis=0)
        size = np.sqrt(np.sum(projected**2))
        if size < eps:
            converged = True
            break
        step *= 2
        for _ in range(11):
            candidate = rotation - step * projected
            candidate = candidate / np.sqrt(np.sum(candidate**2, axis=0))
            pattern = loadings @ np.linalg.inv(candidate).T
            new_criterion, gq = _quartimin_criterion(pattern)
            if criterion - new_criterion > 0.5 * size**2 * step:
                break
            step /= 2
        rotation, criterion = candidate, new_criterion
        gradient = -(pattern.T @ gq @ np.linalg.inv(rotation)).T
    return pattern, rotation.T @ rotation, criterion, converged


def _random_rotation(k: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal start (GPArotation's Random.Start: Q of the QR of a normal matrix)."""
    q, _ = np.linalg.qr(rng.standard_normal((k, k)))
    return q


def rotate(
    loadings: np.ndarray, rotation: str, random_starts: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rotated pattern loadings and factor correlations Phi."""
    k = loadings.shape[1]
    if rotation == "none" or k == 1:
        return loadings, np.eye(k)
    if rotation == "varimax":
        return _varimax(loadings)[0], np.eye(k)
    if rotation == "promax":
        return _promax(loadings)
    starts = [np.eye(k)] + [_random_rotation(k, rng) for _ in range(random_starts)]
    solutions = [_oblimin(loadings, start) for start in starts]
    converged = [s for s in solutions if s[3]]
    if not converged:
        raise EFAError(f"oblimin rotation of {k} factors did not converge in 1000 iterations")
    pattern, phi, _, _ = min(converged, key=lambda s: s[2])
    return pattern, phi


def positive_sum_signs(loadings: np.ndarray) -> np.ndarray:
    """+1 or -1 per factor so that its loadings sum to a non-negative number (psych's sign rule)."""
    return np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)


def align(loadings: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip factors so loadings sum positive, then sort by SS loadings diag(Phi L'L), as psych."""
    signs = positive_sum_signs(loadings)
    loadings = loadings * signs
    phi = phi * np.outer(signs, signs)
    order = np.argsort(-np.diag(phi @ loadings.T @ loadings), kind="stable")
    return loadings[:, order], phi[np.ix_(order, order)]

