"""The reference models: the calibrated SVM that replaces SVC(probability=True)."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from activelens.models import CalibratedSVC, make_model


def test_calibrated_svc_calibrates_on_held_out_folds_when_every_class_allows():
    X, y = make_blobs(120, centers=3, cluster_std=1.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no deprecation of probability=True, no fold warnings
        m = CalibratedSVC(C=10).fit(X, y)
    p = m.predict_proba(X)
    assert m.calibrated_ and p.shape == (120, 3) and np.allclose(p.sum(1), 1)
    np.testing.assert_array_equal(m.predict(X), m.classes_[p.argmax(1)])
    assert (m.predict(X) == y).mean() > 0.9


def test_calibrated_svc_uses_as_many_folds_as_the_rarest_class_has_labels():
    X, y = make_blobs(40, centers=2, random_state=1)
    y = y.copy()
    y[:2] = 2                                            # a third class with two labels: 2-fold calibration
    m = CalibratedSVC().fit(X, y)
    assert m.calibrated_ and m.model_.cv.n_splits == 2
    y[1] = 0                                             # one label of class 2: the softmax fallback
    m = CalibratedSVC().fit(X, y)
    p = m.predict_proba(X)
    assert not m.calibrated_ and p.shape == (40, 3) and np.allclose(p.sum(1), 1)
    with pytest.raises(ValueError, match="two classes"):
        CalibratedSVC().fit(X, np.zeros(40))


def test_make_model_names_and_parameters():
    svm = make_model("svm", C=10)
    assert svm[-1].C == 10 and isinstance(svm[-1], CalibratedSVC)
    assert make_model("logreg")[-1].max_iter == 1000
    with pytest.raises(ValueError, match="'logreg' or 'svm'"):
        make_model("forest")
