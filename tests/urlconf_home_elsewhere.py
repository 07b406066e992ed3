"""A URLconf whose "home" is elsewhere (tests/test_url_tag.py: the cached {% url %} follows
the URLconf in use)."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("beranda-lain/", lambda request: HttpResponse("x"), name="home")]
