"""manyi scoring: pure numerics on numpy arrays (stdlib, numpy and scipy only).

Available now:

- :func:`scoring.weights.ahp_weights` and :func:`scoring.weights.combine_judgements`:
  AHP priority vector by the principal eigenvector, lambda max, CI and CR with Saaty's
  random index; several experts' matrices combined by the element-wise geometric mean.
"""
