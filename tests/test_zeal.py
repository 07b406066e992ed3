"""django-zeal is on in the test run (tests/settings.py): a request that reads a relation once
per row fails its test with an N+1 error."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from zeal import NPlusOneError
from zeal.middleware import zeal_middleware

from kelurahan.models import RT, RW


def test_every_request_of_the_test_run_goes_through_zeal():
    assert settings.MIDDLEWARE[0] == "zeal.middleware.zeal_middleware"
    assert settings.ZEAL_RAISE is True


@pytest.mark.django_db
def test_a_view_with_an_n_plus_one_raises_and_its_join_passes(office):
    rw = RW.objects.create(office=office, number=3)
    RT.objects.bulk_create([RT(rw=rw, number=n) for n in (1, 2, 3)])

    def n_plus_one(request):
        return HttpResponse(",".join(str(rt.rw.number) for rt in RT.objects.all()))

    def joined(request):
        return HttpResponse(",".join(str(rt.rw.number) for rt in RT.objects.select_related("rw")))

    request = RequestFactory().get("/")
    with pytest.raises(NPlusOneError, match=r"N\+1 detected on kelurahan\.RT\.rw"):
        zeal_middleware(n_plus_one)(request)
    assert zeal_middleware(joined)(request).content == b"3,3,3"
