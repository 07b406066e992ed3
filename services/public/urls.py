"""The resident's URLs (included by services.urls, so named ``services:public_*``)."""

from django.urls import path

from services.public import views

urlpatterns = [
    path("s/<str:status_token>/", views.status, name="public_status"),
    path("s/<str:status_token>/surat/", views.letter_download, name="public_letter"),
    path("lacak/", views.lookup_form, name="public_lookup"),
]
