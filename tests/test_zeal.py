"""django-zeal is on in the test run: a test that triggers an N+1 query fails."""

import pytest
from zeal import NPlusOneError

from kelurahan.models import RT, RW


def test_an_n_plus_one_in_a_test_raises(office):
    rw = RW.objects.create(office=office, number=3)
    RT.objects.bulk_create([RT(rw=rw, number=n) for n in (1, 2, 3)])

    with pytest.raises(NPlusOneError, match=r"N\+1 detected on kelurahan\.RT\.rw"):
        [rt.rw.number for rt in RT.objects.all()]

    # The same loop with the join it needs is fine.
    assert [rt.rw.number for rt in RT.objects.select_related("rw")] == [3, 3, 3]
